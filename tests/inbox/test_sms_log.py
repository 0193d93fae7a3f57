"""The logging SMS adapter keeps phone numbers and message text out of the INFO log."""

import logging

from inbox.notify import LoggingSMSBackend


def test_info_logs_neither_the_number_nor_the_text(caplog):
    text = "事件 #123 已超期：航天路88号 张三 反映的噪音扰民"
    with caplog.at_level(logging.INFO, logger="inbox.notify"):
        LoggingSMSBackend().send("13812345678", text)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records and all(r.levelno == logging.INFO for r in caplog.records)
    assert "13812345678" not in logged and "12345" not in logged
    assert "张三" not in logged and "航天路" not in logged
    assert "138****5678" in logged and str(len(text)) in logged


def test_the_text_appears_only_at_debug(caplog):
    with caplog.at_level(logging.DEBUG, logger="inbox.notify"):
        LoggingSMSBackend().send("13812345678", "催办：请尽快处理")
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("催办：请尽快处理" in m for m in debug)
    assert not any("13812345678" in r.getMessage() for r in caplog.records)
