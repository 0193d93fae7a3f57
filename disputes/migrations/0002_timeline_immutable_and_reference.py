"""The timeline and signed documents are immutable in the database itself; the dispute types
(the 19 of Sichuan's quarterly dispute report, with subtypes) and the default time limits."""

from django.db import migrations

# (code, name, [(code, name), ...]): the types of 四川省矛盾纠纷排查调处情况统计表, each with subtypes.
TYPES = [
    ("marriage", "婚姻家庭纠纷", [("divorce", "离婚纠纷"), ("support", "赡养抚养纠纷"), ("inheritance", "继承纠纷")]),
    ("neighbour", "邻里纠纷", [("nuisance", "噪音油烟漏水纠纷"), ("passage", "通行采光纠纷")]),
    ("homestead", "房屋宅基地纠纷", [("house", "房屋买卖租赁纠纷"), ("site", "宅基地使用纠纷")]),
    ("property", "物业管理纠纷", [("fees", "物业费纠纷"), ("service", "物业服务纠纷")]),
    ("labour", "劳动争议及欠薪纠纷", [("wages", "拖欠农民工工资"), ("injury", "工伤纠纷"), ("contract_labour", "劳动合同纠纷")]),
    ("medical", "医疗纠纷", [("malpractice", "医疗损害纠纷"), ("fees_medical", "医疗费用纠纷")]),
    ("traffic", "道路交通事故纠纷", [("injury_traffic", "交通事故人身损害"), ("vehicle", "交通事故财产损失")]),
    ("acquisition", "征地拆迁纠纷", [("compensation", "征收补偿纠纷"), ("resettlement", "安置纠纷")]),
    ("contract", "合同纠纷", [("sale", "买卖合同纠纷"), ("construction", "建设工程合同纠纷")]),
    ("damages", "损害赔偿纠纷", [("personal", "人身损害赔偿"), ("property_damage", "财产损害赔偿")]),
    ("land", "山林土地纠纷", [("land_contract", "土地承包经营纠纷"), ("forest", "林权纠纷")]),
    ("business", "生产经营纠纷", [("partnership", "合伙经营纠纷")]),
    ("lending", "民间借贷纠纷", [("loan", "借款纠纷")]),
    ("environment", "环境污染纠纷", [("pollution", "污染损害纠纷")]),
    ("village", "村(社区)务管理纠纷", [("collective", "集体经济组织收益分配纠纷")]),
    ("consumer", "消费纠纷", [("goods", "商品质量纠纷")]),
    ("campus", "校园及涉校纠纷", [("school", "学生伤害纠纷")]),
    ("online", "电子商务及网络纠纷", [("ecommerce", "网购纠纷")]),
    ("other", "其他纠纷", [("misc", "其他")]),
]

# (phase, level, minutes, working_time): acceptance within two working days at the community and
# one at the town and district; mediation within one month (30 calendar days) at every level
# (司法部《人民调解工作若干规定》art. 33).
LIMITS = [
    ("accept", "community", 2 * 8 * 60, True),
    ("accept", "town", 8 * 60, True),
    ("accept", "district", 8 * 60, True),
    ("accept", "city", 8 * 60, True),
    ("mediate", "community", 30 * 24 * 60, False),
    ("mediate", "town", 30 * 24 * 60, False),
    ("mediate", "district", 30 * 24 * 60, False),
    ("mediate", "city", 30 * 24 * 60, False),
    ("accept", "province", 8 * 60, True),
    ("mediate", "province", 30 * 24 * 60, False),
]


def load(apps, schema_editor):
    DisputeType = apps.get_model("disputes", "DisputeType")
    DisputeLimit = apps.get_model("disputes", "DisputeLimit")
    for order, (code, name, children) in enumerate(TYPES, start=1):
        parent, _ = DisputeType.objects.get_or_create(code=code, defaults={"name": name, "order": order})
        for sub_order, (sub_code, sub_name) in enumerate(children, start=1):
            DisputeType.objects.get_or_create(
                code=f"{code}-{sub_code}", defaults={"name": sub_name, "order": sub_order, "parent": parent}
            )
    for phase, level, minutes, working in LIMITS:
        DisputeLimit.objects.get_or_create(
            phase=phase, level=level, defaults={"minutes": minutes, "working_time": working}
        )


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql="""
            CREATE FUNCTION disputes_action_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'dispute timeline rows are immutable (% refused)', TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END $$;
            CREATE TRIGGER disputes_action_immutable BEFORE UPDATE OR DELETE ON disputes_disputeaction
                FOR EACH ROW EXECUTE FUNCTION disputes_action_immutable();
            CREATE FUNCTION disputes_signed_document_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.state = 'signed' THEN
                    RAISE EXCEPTION 'a signed document is immutable (% refused)', TG_OP
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END $$;
            CREATE TRIGGER disputes_signed_document_immutable BEFORE UPDATE OR DELETE ON disputes_document
                FOR EACH ROW EXECUTE FUNCTION disputes_signed_document_immutable();
            """,
            reverse_sql="""
            DROP TRIGGER IF EXISTS disputes_action_immutable ON disputes_disputeaction;
            DROP FUNCTION IF EXISTS disputes_action_immutable();
            DROP TRIGGER IF EXISTS disputes_signed_document_immutable ON disputes_document;
            DROP FUNCTION IF EXISTS disputes_signed_document_immutable();
            """,
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
