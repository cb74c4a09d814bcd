// The presenter screen: shows the state the bot pushes (Server-Sent Events), counts the running
// segment down, and fits the question to its box. Every text from the log goes in through
// textContent, never as markup.
"use strict";

(function () {
  const root = document.getElementById("screen");
  if (!root) {
    return;
  }
  const $ = (id) => document.getElementById(id);
  const MIN_FONT = 10; // px: below this a question is cut (hidden overflow) rather than shrunk
  let offset = 0; // the bot's clock minus this browser's, in ms
  let current = null;
  let retry = 1000;

  function put(id, value) {
    const el = $(id);
    const text = value === null || value === undefined ? "" : String(value);
    if (el.textContent !== text) {
      el.textContent = text;
    }
  }

  function show(id, visible) {
    $(id).hidden = !visible;
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const two = (n) => (n < 10 ? "0" : "") + n;
    return (h > 0 ? h + ":" + two(m) : two(m)) + ":" + two(s % 60);
  }

  function setClock(iso) {
    const at = Date.parse(iso);
    if (!Number.isNaN(at)) {
      offset = at - Date.now();
    }
  }

  // ---------------------------------------------------------------- the state

  function render(state) {
    current = state;
    put("title", state.title);
    show("rehearsal", state.rehearsal);
    const delay = state.delay_minutes || 0;
    show("delay", delay !== 0);
    put("delay", delay > 0 ? delay + " min late" : delay < 0 ? -delay + " min early" : "");

    const q = state.question;
    root.dataset.state = q ? "question" : "idle";
    root.dataset.number = q ? String(q.number) : "";
    if (q) {
      put("number", "#" + q.number);
      put("speaker", q.speaker);
      put("label", q.label);
      put("votes", plural(q.votes, "vote"));
      put("asker", q.co_askers > 0 ? q.asker + " and " + plural(q.co_askers, "other") : q.asker);
      put("text", q.text);
    } else {
      put("text", "");
      put("idle-title", state.title);
      put(
        "idle-line",
        state.intake.open ? "Questions will appear here." : "Questions are closed.",
      );
    }

    const list = $("queue");
    const items = [];
    for (const item of state.queue || []) {
      const li = document.createElement("li");
      const number = document.createElement("span");
      number.className = "queue-number";
      number.textContent = "#" + item.number;
      const text = document.createElement("span");
      text.className = "queue-text";
      text.textContent = item.text;
      const votes = document.createElement("span");
      votes.className = "queue-votes";
      votes.textContent = "▲ " + item.votes;
      li.append(number, text, votes);
      items.push(li);
    }
    list.replaceChildren(...items);
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "queue-empty";
      li.textContent = "No questions waiting.";
      list.append(li);
    }
    const more = (state.waiting || 0) - items.length;
    put("waiting", more > 0 ? "and " + more + " more waiting" : "");

    show("invite", state.intake.open);
    put("invite-how", state.intake.invite);
    tick();
    fit();
  }

  // ---------------------------------------------------------------- the countdown

  function tick() {
    if (!current) {
      return;
    }
    const now = Date.now() + offset;
    const running = current.segment;
    const next = current.next_segment;
    if (running) {
      put("segment", running.title);
      put("until", "until " + running.local_end);
      put("countdown", clock((Date.parse(running.ends_at) - now) / 1000));
    } else if (next) {
      put("segment", "Next: " + next.title);
      put("until", "at " + next.local_start);
      put("countdown", clock((Date.parse(next.starts_at) - now) / 1000));
    } else {
      put("segment", "");
      put("until", "");
      put("countdown", "");
    }
  }

  // ---------------------------------------------------------------- fitting the question

  function fits(box, el) {
    return el.scrollHeight <= box.clientHeight && el.scrollWidth <= box.clientWidth;
  }

  function fit() {
    const box = $("fit");
    const el = $("text");
    if (root.dataset.state !== "question" || box.clientHeight === 0) {
      return;
    }
    el.style.fontSize = "";
    const natural = parseFloat(getComputedStyle(el).fontSize) || 48;
    if (fits(box, el)) {
      el.dataset.fontSize = String(Math.round(natural));
      return;
    }
    let low = MIN_FONT;
    let high = natural;
    while (high - low > 0.5) {
      const middle = (low + high) / 2;
      el.style.fontSize = middle + "px";
      if (fits(box, el)) {
        low = middle;
      } else {
        high = middle;
      }
    }
    el.style.fontSize = low + "px";
    el.dataset.fontSize = String(Math.round(low));
  }

  // ---------------------------------------------------------------- the stream

  function connected(yes) {
    root.dataset.connected = yes ? "1" : "0";
    show("offline", !yes);
  }

  function connect() {
    const source = new EventSource(root.dataset.events);
    source.addEventListener("open", () => {
      retry = 1000;
      connected(true);
    });
    source.addEventListener("clock", (event) => setClock(JSON.parse(event.data)));
    source.addEventListener("state", (event) => {
      connected(true);
      render(JSON.parse(event.data));
    });
    source.addEventListener("error", () => {
      connected(false);
      if (source.readyState === EventSource.CLOSED) {
        // refused outright (e.g. a 503 while the bot starts): try again, more slowly each time
        source.close();
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      }
    });
  }

  const initial = $("screen-state");
  if (initial && initial.textContent) {
    const state = JSON.parse(initial.textContent);
    setClock(state.now);
    render(state);
  }
  setInterval(tick, 250);
  new ResizeObserver(() => fit()).observe($("fit"));
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(fit);
  }
  connect();
})();
