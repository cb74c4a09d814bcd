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

  // One of the page's words (state.words, in the session's language), its {placeholders}
  // filled from `values`.
  function word(key, values) {
    const text = (current && current.words && current.words[key]) || "";
    return text.replace(/\{(\w+)\}/g, (all, name) =>
      values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all,
    );
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
    const texts = state.texts || {};
    show("delay", Boolean(texts.delay));
    put("delay", texts.delay);

    const q = state.question;
    root.dataset.state = q ? "question" : "idle";
    root.dataset.number = q ? String(q.number) : "";
    if (q) {
      put("number", "#" + q.number);
      put("speaker", q.speaker);
      put("label", q.label);
      put("votes", texts.votes);
      put("asker", texts.asker);
      put("text", q.text);
    } else {
      put("text", "");
      put("idle-title", state.title);
      put("idle-line", word(state.intake.open ? "idle_open" : "idle_closed"));
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
      li.textContent = word("queue_empty");
      list.append(li);
    }
    put("waiting", texts.waiting);

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
      put("until", word("until", { time: running.local_end }));
      put("countdown", clock((Date.parse(running.ends_at) - now) / 1000));
    } else if (next) {
      put("segment", word("next", { title: next.title }));
      put("until", word("at", { time: next.local_start }));
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
