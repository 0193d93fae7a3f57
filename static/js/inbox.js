/* The "Messages" badge, live on every page: `window.inbox.setUnread(n)` moves it (and the dot on a
phone's closed menu). Pages without a dashboard keep a WebSocket to the user's own group
(/ws/inbox/): on hello it sets the unread count; on each message it moves the badge and shows the
message for a few seconds, linked to its event. Reconnects with backoff; gives up on a page that is
hidden for long (it reconnects when the page is shown again). The dashboard's own socket carries the
messages there (`data-inbox-socket="off"`), and it calls setUnread. */
(function () {
  "use strict";
  const link = document.querySelector("[data-inbox-link]");
  if (!link || !("WebSocket" in window)) return;

  const BACKOFF_MAX_MS = 60000;
  let attempts = 0;
  let socket = null;
  let timer = null;

  function url() {
    const protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const port = document.body.dataset.wsPort;
    return protocol + "//" + (port ? location.hostname + ":" + port : location.host) + "/ws/inbox/";
  }

  function setUnread(n) {
    if (typeof n !== "number") return;
    const menu = document.querySelector(".nav-toggle-label");  // the phone's closed menu shows a dot
    if (menu) menu.toggleAttribute("data-unread", n > 0);
    let badge = link.querySelector(".badge");
    if (n > 0) {
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "badge";
        link.append(" ", badge);
      }
      badge.textContent = String(n);
      badge.setAttribute("aria-label", (link.dataset.unreadLabel || "%s").replace("%s", String(n)));
    } else if (badge) {
      badge.remove();
    }
  }

  window.inbox = { setUnread };
  if (document.body.dataset.inboxSocket === "off") return;

  let toast = null;
  let toastTimer = null;
  function show(text, url) {
    if (!text) return;
    if (!toast) {
      toast = document.createElement("div");
      toast.className = "toast";
      toast.setAttribute("role", "status");
      document.body.appendChild(toast);
    }
    toast.replaceChildren();
    // Only a link within the platform: the push names its subject's page (inbox.subjects).
    const link = typeof url === "string" && url.startsWith("/") && !url.startsWith("//");
    const line = document.createElement(link ? "a" : "span");
    line.textContent = text;
    if (link) line.href = url;
    toast.appendChild(line);
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toast.hidden = true; }, 8000);
  }

  function connect() {
    timer = null;
    if (document.hidden && attempts > 3) return;  // picked up again on visibilitychange
    let ws;
    try { ws = new WebSocket(url()); } catch (error) { retry(); return; }
    socket = ws;
    ws.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (!message || typeof message !== "object" || !message.data) return;
      if (message.type === "hello") { attempts = 0; setUnread(message.data.unread); }
      if (message.type === "notification") {
        setUnread(message.data.unread);
        show(message.data.message, message.data.url);
        // Pages that list events offer to refresh (static/js/events.js).
        document.dispatchEvent(new CustomEvent("inbox:message", { detail: message.data }));
      }
    };
    ws.onclose = (event) => {
      if (ws !== socket) return;
      socket = null;
      // 4401: signed out; 4403: refused. Try again, but slowly.
      if (event.code === 4401 || event.code === 4403) attempts = Math.max(attempts, 5);
      retry();
    };
  }

  function retry() {
    if (timer) return;
    const delay = Math.min(BACKOFF_MAX_MS, 1000 * Math.pow(2, attempts)) * (0.8 + Math.random() * 0.4);
    attempts += 1;
    timer = setTimeout(connect, delay);
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && !socket && !timer) connect();
  });
  connect();
})();
