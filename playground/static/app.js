/* entrec playground page. Plain script (no build step), no inline handlers, no eval:
 * it runs under `script-src 'self'`. Every DOM node is built with textContent, never HTML. */
(function () {
  "use strict";

  var TOKEN = document.querySelector('meta[name="entrec-token"]').getAttribute("content");
  var API = "/playground/api/";
  var PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#e377c2", "#8c564b", "#17becf",
                 "#bcbd22", "#ff7f0e", "#7f7f7f", "#3949ab", "#00897b", "#c2185b", "#6d4c41"];
  var SOURCES = { rule: "regra", grammar: "gramática", model: "modelo" };
  var REASONS = {
    "duplicate": "duplicata (mesmo trecho e rótulo)",
    "nested": "aninhado no vencedor",
    "overlap-priority": "sobreposição: prioridade menor",
    "overlap-longer": "sobreposição: trecho mais curto",
    "overlap-tie": "sobreposição: desempate"
  };
  var FINDINGS = { missing: "faltando", unexpected: "inesperada", rejected: "rejeitada" };

  var S = {
    files: [], labels: {}, colors: {}, allowSave: false,
    current: null,          // path of the file in the editor
    buffers: {},            // path -> {doc: CodeMirror.Doc, disk: string, sha: string}
    diags: [], valid: true,
    result: null, selected: null,  // selected: "start:end:label" of the explained entity
    extractSeq: 0, validateSeq: 0, lastEdit: null
  };

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    var a = attrs || {};
    Object.keys(a).forEach(function (k) {
      if (k === "text") node.textContent = a[k];
      else if (k === "cls") node.className = a[k];
      else if (k === "color") node.style.setProperty("--c", a[k]);
      else if (a[k] !== null && a[k] !== undefined && a[k] !== false) node.setAttribute(k, a[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function api(name, body) {
    var opts = { method: "GET", headers: { "X-Entrec-Token": TOKEN }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.method = "POST";
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(API + name, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var err = new Error((data.error && data.error.message) || ("HTTP " + r.status));
          err.info = data.error || {};
          err.status = r.status;
          throw err;
        }
        return data;
      });
    });
  }

  function debounce(fn, ms) {
    var t = null;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }

  function setStatus(node, text, kind) {
    node.textContent = text;
    node.className = node.className.replace(/\b(ok|bad|warn)\b/g, "").trim() + (kind ? " " + kind : "");
  }

  function colorOf(label) {
    if (!S.colors[label]) {
      var n = Object.keys(S.colors).length;
      S.colors[label] = PALETTE[n % PALETTE.length];
    }
    return S.colors[label];
  }

  function dirtyFiles() {
    return Object.keys(S.buffers).filter(function (p) {
      return S.buffers[p].doc.getValue() !== S.buffers[p].disk;
    }).map(function (p) { return { path: p, content: S.buffers[p].doc.getValue() }; });
  }

  function basename(p) { return p.split("/").pop(); }

  // ------------------------------------------------------------------ text panel
  function extract() {
    var seq = ++S.extractSeq;
    var text = $("text-input").value;
    api("extract", { text: text, lang: $("lang").value, files: dirtyFiles() }).then(function (res) {
      if (seq !== S.extractSeq) return;
      res.text = text;
      S.result = res;
      renderResult();
      var msg = res.entities.length + " entidade(s) · " + res.discarded.length + " candidato(s) descartado(s) · " +
        res.extract_ms.toFixed(1) + " ms";
      if (res.rules === "edited") msg += " · regras editadas";
      if (res.rules === "fallback") {
        setStatus($("extract-status"), msg + " · as regras editadas têm erros: usando as regras salvas", "warn");
      } else {
        setStatus($("extract-status"), msg, "");
      }
    }).catch(function (err) {
      if (seq !== S.extractSeq) return;
      setStatus($("extract-status"), "Erro ao extrair: " + err.message, "bad");
    });
  }

  function levels(spans) {
    // stacked underlines: each loser gets the lowest row free over its span
    var rows = [];
    spans.forEach(function (s) {
      var lvl = 0;
      while (rows[lvl] && rows[lvl].some(function (o) { return o.start < s.end && s.start < o.end; })) lvl++;
      (rows[lvl] = rows[lvl] || []).push(s);
      s.level = lvl;
    });
  }

  function segments(parent, text, a, b, cuts, losers) {
    for (var i = 0; i < cuts.length - 1; i++) {
      var x = cuts[i], y = cuts[i + 1];
      if (y <= a || x >= b) continue;
      x = Math.max(x, a); y = Math.min(y, b);
      var over = losers.filter(function (l) { return l.start < y && x < l.end; });
      if (!over.length) { parent.appendChild(document.createTextNode(text.slice(x, y))); continue; }
      var seg = el("span", { cls: "seg" }, text.slice(x, y));
      over.forEach(function (l) {
        var u = el("span", { cls: "ul", color: colorOf(l.label), "aria-hidden": "true",
          title: l.label + " · " + (l.rule_id || SOURCES[l.source]) + " · " + (REASONS[l.reason_code] || l.reason_code) });
        u.style.bottom = (-7 - 6 * l.level) + "px";
        seg.appendChild(u);
      });
      parent.appendChild(seg);
    }
  }

  function conflictsOf(i) {
    return S.result.discarded.filter(function (d) { return d.winner === i; });
  }

  function renderResult() {
    var res = S.result, text = res.text;
    var showAll = $("show-all").checked;
    var marked = $("marked");
    clear(marked);
    marked.classList.toggle("all", showAll);
    var losers = showAll ? res.discarded.map(function (d) { return Object.assign({}, d); }) : [];
    levels(losers);
    var cutSet = {};
    [0, text.length].forEach(function (c) { cutSet[c] = 1; });
    res.entities.concat(losers).forEach(function (s) { cutSet[s.start] = 1; cutSet[s.end] = 1; });
    var cuts = Object.keys(cutSet).map(Number).sort(function (a, b) { return a - b; });
    var pos = 0;
    res.entities.forEach(function (e, i) {
      segments(marked, text, pos, e.start, cuts, losers);
      var lost = conflictsOf(i);
      var real = lost.filter(function (d) { return d.reason_code !== "duplicate"; });
      var who = e.rule_id || SOURCES[e.source];
      var mark = el("mark", {
        cls: "ent" + (real.length ? " conflict" : ""), tabindex: "0", role: "button", color: colorOf(e.label),
        "data-index": String(i), "data-label": e.label, "data-source": e.source, "data-rule": e.rule_id || "",
        "aria-label": e.text + ": " + e.label + ", " + SOURCES[e.source] + " " + who +
          (real.length ? ", " + real.length + " conflito(s)" : ""),
        title: e.label + " · " + SOURCES[e.source] + (e.rule_id ? " · " + e.rule_id : "") +
          (real.length ? " · " + real.length + " conflito(s) real(is)" : "")
      });
      segments(mark, text, e.start, e.end, cuts, losers);
      mark.appendChild(el("span", { cls: "tag", "aria-hidden": "true" }, e.label + " ",
        el("small", { text: e.source === "rule" ? e.rule_id : SOURCES[e.source] })));
      mark.addEventListener("click", function () { openExplain(i); });
      mark.addEventListener("focus", function () { openExplain(i); });
      mark.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); openExplain(i); }
      });
      marked.appendChild(mark);
      pos = e.end;
    });
    segments(marked, text, pos, text.length, cuts, losers);
    if (!text.trim()) marked.appendChild(el("span", { cls: "muted", text: "Digite ou cole um texto acima." }));
    renderLegend(res, losers);
    renderTable(res);
    // keep the explanation open only while the same entity is still there
    var again = S.selected === null ? -1 : res.entities.findIndex(function (e) {
      return e.start + ":" + e.end + ":" + e.label === S.selected;
    });
    if (again >= 0) openExplain(again);
    else closeExplain();
  }

  function renderLegend(res, losers) {
    var counts = {};
    res.entities.forEach(function (e) { counts[e.label] = (counts[e.label] || 0) + 1; });
    losers.forEach(function (e) { counts[e.label] = counts[e.label] || 0; });
    var legend = $("legend");
    clear(legend);
    Object.keys(counts).sort().forEach(function (label) {
      legend.appendChild(el("span", { cls: "legend-item", title: S.labels[label] || label },
        el("span", { cls: "swatch", color: colorOf(label) }), label + " (" + counts[label] + ")"));
    });
  }

  function renderTable(res) {
    var body = $("entity-table").querySelector("tbody");
    clear(body);
    res.entities.forEach(function (e, i) {
      var tr = el("tr", { tabindex: "0", "data-index": String(i) },
        el("td", {}, e.text),
        el("td", {}, el("span", { cls: "chip", color: colorOf(e.label) }), e.label),
        el("td", { cls: "nowrap" }, SOURCES[e.source] || e.source),
        el("td", { cls: "mono" }, e.rule_id || "—"),
        el("td", { cls: "mono" }, e.id || "—"),
        el("td", {}, e.value_text || "—"));
      tr.addEventListener("click", function () { openExplain(i); });
      tr.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); openExplain(i); }
      });
      body.appendChild(tr);
    });
    if (!res.entities.length) body.appendChild(el("tr", {}, el("td", { colspan: "6", cls: "muted" }, "Nenhuma entidade.")));
  }

  function openExplain(i) {
    var e = S.result.entities[i];
    if (!e) return;
    S.selected = e.start + ":" + e.end + ":" + e.label;
    Array.prototype.forEach.call(document.querySelectorAll("mark.ent"), function (m) {
      m.classList.toggle("selected", m.getAttribute("data-index") === String(i));
    });
    var body = $("explain-body");
    clear(body);
    $("explain-title").textContent = "Por que “" + e.text + "” é " + e.label + "?";
    var dl = el("dl");
    [["Rótulo", e.label], ["Fonte", SOURCES[e.source] || e.source], ["Regra", e.rule_id || "—"],
     ["Prioridade", String(e.priority)], ["ID canônico", e.id || "—"], ["Valor", e.value_text || "—"],
     ["Pontuação", String(e.score)], ["Posição", e.start + "–" + e.end]].forEach(function (kv) {
      dl.appendChild(el("dt", { text: kv[0] }));
      dl.appendChild(el("dd", { text: kv[1] }));
    });
    body.appendChild(dl);
    var lost = conflictsOf(i);
    var real = lost.filter(function (d) { return d.reason_code !== "duplicate"; });
    body.appendChild(el("p", { cls: "muted", text: lost.length
      ? "Venceu " + lost.length + " candidato(s); " + real.length + " conflito(s) real(is):"
      : "Nenhum candidato concorrente: venceu sem conflito." }));
    if (lost.length) {
      var ul = el("ul", { cls: "losers" });
      lost.forEach(function (d) {
        ul.appendChild(el("li", { cls: d.reason_code === "duplicate" ? "dup" : "conflict", "data-reason": d.reason_code },
          el("span", { cls: "code-badge", text: d.reason_code }),
          "“" + d.text + "” " + d.label + " (" + (d.rule_id || SOURCES[d.source]) + ", prioridade " + d.priority + ") — " +
          (REASONS[d.reason_code] || d.reason_code) + ". ",
          el("span", { cls: "muted", text: d.reason })));
      });
      body.appendChild(ul);
    }
    $("explain").hidden = false;
  }

  function closeExplain() {
    S.selected = null;
    $("explain").hidden = true;
    Array.prototype.forEach.call(document.querySelectorAll("mark.ent.selected"), function (m) {
      m.classList.remove("selected");
    });
  }

  // ------------------------------------------------------------------ editor
  var cm = CodeMirror($("editor-host"), {
    mode: "yaml", lineNumbers: true, indentUnit: 2, tabSize: 2, indentWithTabs: false,
    styleActiveLine: true, gutters: ["diag-gutter", "CodeMirror-linenumbers"],
    screenReaderLabel: "Editor do arquivo de regras (Esc sai do editor)",
    extraKeys: {
      "Tab": function (c) {
        if (c.somethingSelected()) c.indentSelection("add");
        else c.replaceSelection("  ", "end");
      },
      "Shift-Tab": "indentLess",
      "Esc": function () { $("run-tests").focus(); },
      "Ctrl-S": function () { if (!$("save").disabled) save(); else download(); }
    }
  });
  var diagMarks = [];

  cm.on("cursorActivity", function () {
    var c = cm.getCursor();
    $("cursor-pos").textContent = "Ln " + (c.line + 1) + ", Col " + (c.ch + 1);
  });

  var validateSoon = debounce(validate, 300);
  cm.on("change", function () {
    S.lastEdit = performance.now();
    markDirty();
    setStatus($("validation-status"), "Validando…", "");
    validateSoon();
  });

  function markDirty() {
    var sel = $("file-select");
    Array.prototype.forEach.call(sel.options, function (o) {
      var b = S.buffers[o.value];
      var dirty = b && b.doc.getValue() !== b.disk;
      o.textContent = (dirty ? "● " : "") + o.value;
    });
    var b = S.buffers[S.current];
    $("revert").disabled = !(b && b.doc.getValue() !== b.disk);
    updateSave();
  }

  function updateSave() {
    var btn = $("save");
    if (!S.allowSave) {
      btn.disabled = true;
      btn.title = "Salvar está desativado: inicie com `entrec playground --allow-save` (use Baixar)";
    } else {
      btn.disabled = !S.valid;
      btn.title = S.valid ? "Grava o arquivo na pasta do pacote (a versão anterior fica como .bak)" : "Corrija os erros antes de salvar";
    }
    $("run-tests").disabled = !S.valid;
  }

  function openFile(path) {
    S.current = path;
    $("file-select").value = path;
    var have = S.buffers[path];
    var ready = have ? Promise.resolve(have) : api("file?path=" + encodeURIComponent(path)).then(function (f) {
      var buf = { doc: CodeMirror.Doc(f.content, "yaml"), disk: f.content, sha: f.sha256 };
      S.buffers[path] = buf;
      return buf;
    });
    return ready.then(function (buf) {
      cm.swapDoc(buf.doc);
      clear($("test-results"));
      markDirty();
      return validate();
    });
  }

  function validate() {
    var seq = ++S.validateSeq;
    var path = S.current;
    return api("validate", { path: path, files: dirtyFiles() }).then(function (res) {
      if (seq !== S.validateSeq) return;
      S.diags = res.diagnostics;
      S.valid = res.ok;
      renderDiagnostics(res);
      if (S.lastEdit !== null) {  // typing stopped -> errors shown: the latency analysts feel
        $("validation-status").setAttribute("data-latency-ms", String(Math.round(performance.now() - S.lastEdit)));
        S.lastEdit = null;
      }
      updateSave();
      extract();  // the text panel follows the edited rules
    }).catch(function (err) {
      if (seq !== S.validateSeq) return;
      setStatus($("validation-status"), "Erro ao validar: " + err.message, "bad");
    });
  }

  function diagRange(d) {
    var line = Math.max(d.line || 1, 1) - 1;
    var from = { line: line, ch: Math.max(d.column || 1, 1) - 1 };
    var to;
    if (d.end_line && (d.end_line > d.line || d.end_column > d.column)) {
      to = { line: d.end_line - 1, ch: Math.max(d.end_column, 1) - 1 };
    } else {
      to = { line: line, ch: cm.getLine(line) ? cm.getLine(line).length : from.ch + 1 };
    }
    if (to.line === from.line && to.ch <= from.ch) to.ch = from.ch + 1;
    return [from, to];
  }

  function renderDiagnostics(res) {
    diagMarks.forEach(function (m) { m.clear(); });
    diagMarks = [];
    cm.clearGutter("diag-gutter");
    var list = $("diag-list");
    clear(list);
    var mine = res.diagnostics.filter(function (d) { return d.file === S.current; });
    mine.forEach(function (d) {
      if (!d.line) return;
      var r = diagRange(d);
      diagMarks.push(cm.markText(r[0], r[1], { className: d.severity === "error" ? "cm-diag-error" : "cm-diag-warning",
        title: d.code + ": " + d.message }));
      cm.setGutterMarker(r[0].line, "diag-gutter", el("span", { cls: "diag-marker " + d.severity,
        title: d.code + ": " + d.message, text: "●" }));
    });
    res.diagnostics.forEach(function (d) {
      var where = (d.file === S.current ? "" : d.file + ":") + (d.line || "?") + ":" + (d.column || 1);
      var btn = el("button", { type: "button", cls: "diag " + d.severity, "data-code": d.code,
        "data-line": String(d.line), "data-column": String(d.column) },
        el("span", { cls: "where", text: where }),
        el("span", { cls: "code-badge", text: d.code }), d.message,
        d.hint ? el("span", { cls: "hint", text: "dica: " + d.hint }) : null);
      btn.addEventListener("click", function () { jumpTo(d); });
      list.appendChild(el("li", {}, btn));
    });
    if (res.ok) {
      setStatus($("validation-status"), "✓ Sem erros · " + res.rules + " regra(s), " + res.tests + " teste(s) neste arquivo" +
        (res.warnings ? " · " + res.warnings + " aviso(s)" : "") + " · " + Math.round(res.validate_ms) + " ms", "ok");
    } else {
      setStatus($("validation-status"), "✗ " + res.errors + " erro(s) — clique num erro para ir até ele", "bad");
    }
  }

  function jumpTo(d) {
    var go = function () {
      var r = diagRange(d);
      cm.focus();
      cm.setSelection(r[0], r[0]);
      cm.scrollIntoView(r[0], 80);
    };
    if (d.file && d.file !== S.current && S.files.indexOf(d.file) >= 0) openFile(d.file).then(go);
    else go();
  }

  function runTests() {
    var box = $("test-results");
    clear(box);
    box.appendChild(el("p", { cls: "muted", text: "Executando os testes…" }));
    api("tests", { path: S.current, files: dirtyFiles() }).then(function (rep) {
      clear(box);
      var ok = rep.failed === 0;
      box.appendChild(el("p", { cls: "summary " + (ok ? "ok" : "bad"), id: "tests-summary",
        text: (ok ? "✓ " : "✗ ") + rep.passed + "/" + rep.total + " teste(s) passaram" +
          (rep.failed ? ", " + rep.failed + " falharam" : "") + " · " + Math.round(rep.tests_ms) + " ms" }));
      var table = el("table", { cls: "grid", id: "rule-stats" },
        el("caption", { text: "Por regra (VP = verdadeiros positivos, FP = falsos positivos, FN = falsos negativos)" }),
        el("thead", {}, el("tr", {}, el("th", { text: "Regra" }), el("th", { text: "VP" }), el("th", { text: "FP" }),
          el("th", { text: "FN" }))));
      var tb = el("tbody");
      Object.keys(rep.rules).forEach(function (rid) {
        var st = rep.rules[rid];
        var mine = rep.file_rules.indexOf(rid) >= 0;
        tb.appendChild(el("tr", { cls: (st.fp || st.fn ? "flag " : "") + (mine ? "" : "other"), "data-rule": rid },
          el("td", { cls: "mono", text: rid + (mine ? "" : " (outro arquivo)") }),
          el("td", { cls: "num tp", text: String(st.tp) }), el("td", { cls: "num fp", text: String(st.fp) }),
          el("td", { cls: "num fn", text: String(st.fn) })));
      });
      table.appendChild(tb);
      box.appendChild(table);
      var failing = rep.cases.filter(function (c) { return !c.passed; });
      if (failing.length) {
        box.appendChild(el("h3", { text: "Casos que falharam" }));
        var ul = el("ul", { cls: "cases" });
        failing.forEach(function (c) {
          var btn = el("button", { type: "button", "data-line": String(c.line) },
            el("span", { cls: "where mono", text: "linha " + c.line + ": " }), "“" + c.text + "”");
          c.findings.forEach(function (f) {
            btn.appendChild(el("span", { cls: "finding", text: (FINDINGS[f.kind] || f.kind) + ": “" + f.text + "” " +
              (f.label || "") + " — " + f.detail }));
          });
          btn.addEventListener("click", function () { jumpTo({ file: S.current, line: c.line, column: 1 }); });
          ul.appendChild(el("li", {}, btn));
        });
        box.appendChild(ul);
      }
    }).catch(function (err) {
      clear(box);
      box.appendChild(el("p", { cls: "summary bad", text: "Não foi possível executar os testes: " + err.message }));
    });
  }

  function download() {
    var blob = new Blob([cm.getValue()], { type: "application/x-yaml;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var a = el("a", { href: url, download: basename(S.current) });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function save() {
    var buf = S.buffers[S.current];
    var content = buf.doc.getValue();
    api("save", { path: S.current, content: content, base_sha256: buf.sha }).then(function (r) {
      buf.disk = content;
      buf.sha = r.sha256;
      markDirty();
      setStatus($("global-status"), "Salvo " + r.path + " (versão anterior em " + r.backup + ")", "ok");
      validate();
    }).catch(function (err) {
      setStatus($("global-status"), "Não salvo: " + err.message + (err.info.hint ? " — " + err.info.hint : ""), "bad");
    });
  }

  function revert() {
    var buf = S.buffers[S.current];
    if (!buf || buf.doc.getValue() === buf.disk) return;
    if (!window.confirm("Descartar as alterações em " + S.current + "?")) return;
    buf.doc.setValue(buf.disk);
  }

  // ------------------------------------------------------------------ wiring
  var extractSoon = debounce(extract, 250);
  $("text-input").addEventListener("input", extractSoon);
  $("text-input").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); extract(); }
  });
  $("extract-btn").addEventListener("click", extract);
  $("lang").addEventListener("change", extract);
  $("show-all").addEventListener("change", function () { if (S.result) renderResult(); });
  $("explain-close").addEventListener("click", closeExplain);
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && !$("explain").hidden && !cm.hasFocus()) closeExplain();
  });
  $("file-select").addEventListener("change", function () { openFile($("file-select").value); });
  $("run-tests").addEventListener("click", runTests);
  $("download").addEventListener("click", download);
  $("save").addEventListener("click", save);
  $("revert").addEventListener("click", revert);
  window.addEventListener("beforeunload", function (ev) {
    if (dirtyFiles().length) { ev.preventDefault(); ev.returnValue = ""; }
  });

  api("state").then(function (st) {
    S.files = st.files.map(function (f) { return f.path; });
    S.labels = st.labels;
    S.allowSave = st.allow_save;
    Object.keys(st.labels).sort().forEach(colorOf);
    $("pack-info").textContent = "Pacote: " + st.root + " · " + S.files.length + " arquivo(s)" +
      (st.model ? " · modelo " + st.model.name + " " + st.model.version : " · sem modelo") +
      (st.allow_save ? " · salvar ativado" : "");
    $("lang").value = st.default_language;
    var sel = $("file-select");
    st.files.forEach(function (f) {
      sel.appendChild(el("option", { value: f.path, text: f.path }));
    });
    if (S.files.length) return openFile(S.files[0]);
    extract();
  }).catch(function (err) {
    setStatus($("global-status"), "Falha ao carregar: " + err.message, "bad");
  });
})();
