/* Replay: a ▶ control on every snippet output that shows its lines again at their recorded times
   (½×, 1× or 2×) and sweeps a cursor over the timeline beneath, filling each task's bar as it runs.

   It reads only what the page already shows (snippet_engine/fence.py and timeline.py write it): each
   output line's time (.snippet-time, " 1.00 s"), each task's times at the end of its <title>
   ("... 0.50–1.00 s", "... at 1.00 s" or "... from 0.50 s", then how it ended if not done), each
   printed-line mark's time at the start of its <title>, and the axis (its line, its last tick
   "3.0 s"). So a page carries nothing for it but one deferred <script> tag. No request, no
   dependency. Its look, and the room its control takes, are in stylesheets/snippets.css, so the
   control comes after the first paint (mkdocs.yml loads this deferred) and moves nothing. New lines
   are read out politely (aria-live); with prefers-reduced-motion a press shows everything at once.
   On load it only adds the controls (one listener for them all); a block's times are read at its
   first press. */
(function () {
  "use strict"
  var motion = matchMedia("(prefers-reduced-motion: reduce)")
  var replays = new WeakMap()  // output block -> its replay, made at the first press
  var seconds = function (node) { return parseFloat(node.textContent) }  // " 1.00 s", "1.00 s, 2 lines: ..."
  var TIME = "(0|\\d+\\.\\d\\d)"
  var TASK = new RegExp(" (?:" + TIME + "\u2013" + TIME + "|at " + TIME + "|from " + TIME + ") s(, [a-z ]+)?$")
  var TIMED = ".snippet-line .snippet-time, svg.tl"  // what can be replayed: lines with times, a timeline
  var control = document.createElement("div")
  control.className = "snippet-replay"
  control.innerHTML = '<button type="button"><span aria-hidden="true">\u25b6</span> Replay' +
    '<span class="snippet-sr"></span></button><select aria-label="Replay speed">' +
    '<option value="0.5">\u00bd\u00d7</option><option value="1" selected>1\u00d7</option>' +
    '<option value="2">2\u00d7</option></select>'

  function addControl(block) {
    var pre = block.querySelector("pre")
    if (!pre || block.querySelector(".snippet-replay") || !block.querySelector(TIMED)) return
    var added = control.cloneNode(true)
    added.querySelector(".snippet-sr").textContent = " the output of snippets/" + block.getAttribute("data-snippet")
    pre.parentNode.insertBefore(added, pre)
    pre.querySelector("code").setAttribute("aria-live", "polite")  // lines added during a replay are read out
  }

  function Replay(block) {
    var pre = block.querySelector("pre"), code = pre.querySelector("code")
    var lines = Array.from(code.querySelectorAll(".snippet-line")).filter(function (line) {
      return line.querySelector(".snippet-time")
    })
    var times = lines.map(function (line) { return seconds(line.querySelector(".snippet-time")) })
    var svg = block.querySelector("svg.tl"), select = block.querySelector(".snippet-replay select")
    var end = Math.max.apply(null, [0].concat(times)), span = 1, x0 = 0, x1 = 1, tasks = [], marks = [], cursor
    if (svg) {
      var axis = svg.querySelector(".tl-axis-line"), ticks = svg.querySelectorAll(".tl-axis text")
      x0 = parseFloat(axis.getAttribute("x1")), x1 = parseFloat(axis.getAttribute("x2"))
      span = seconds(ticks[ticks.length - 1])
      svg.querySelectorAll(".tl-task").forEach(function (g) {
        var found = TASK.exec(g.querySelector("title").textContent), bar = g.querySelector(".tl-bar")
        if (!found) return
        var from = parseFloat(found[1] || found[3] || found[4])
        var to = found[4] || found[5] === ", still running at exit" ? null : parseFloat(found[2] || found[3])
        tasks.push({g: g, bar: bar, width: parseFloat(bar.getAttribute("width")), from: from, to: to})
        end = Math.max(end, from, to || 0)
      })
      svg.querySelectorAll(".tl-print").forEach(function (g) {
        marks.push({g: g, t: seconds(g.querySelector("title"))})
      })
      cursor = document.createElementNS("http://www.w3.org/2000/svg", "line")
      cursor.setAttribute("class", "tl-cursor")
      cursor.setAttribute("y1", "0")
      cursor.setAttribute("y2", svg.viewBox.baseVal.height)
      svg.appendChild(cursor)
    }
    var shown = 0, t0 = 0, w0 = 0, speed = 1, frame = 0
    var now = function () { return t0 + (performance.now() - w0) / 1000 * speed }

    function draw(t) {  // the output and the picture as they were t seconds into the run
      for (; shown < lines.length && times[shown] <= t; shown++) {
        if (shown) code.appendChild(document.createTextNode("\n"))
        code.appendChild(lines[shown])
      }
      if (!svg) return
      tasks.forEach(function (task) {
        var done = task.to !== null ? t >= task.to : t >= end
        var width = done ? task.width : Math.min(task.width, Math.max(0, (t - task.from) / span * (x1 - x0)))
        task.bar.setAttribute("width", width.toFixed(1))
        task.g.classList.toggle("tl-running", !done)
      })
      marks.forEach(function (mark) { mark.g.classList.toggle("tl-later", mark.t > t) })
      var x = (x0 + Math.min(t / span, 1) * (x1 - x0)).toFixed(1)
      cursor.setAttribute("x1", x)
      cursor.setAttribute("x2", x)
    }

    function tick() {
      if (!block.isConnected) return  // the page was left or replaced
      var t = now()
      draw(Math.min(t, end))
      frame = t < end ? requestAnimationFrame(tick) : 0
    }

    this.start = function () {
      cancelAnimationFrame(frame)
      pre.style.minHeight = pre.offsetHeight + "px"  // the page below does not jump while lines come back
      if (lines.length) code.textContent = ""  // ("(no output)" stays)
      shown = 0
      if (motion.matches) return draw(end)  // reduced motion: everything at once, the cursor at the end
      t0 = 0, w0 = performance.now(), speed = +select.value
      tick()
    }
    this.speed = function () {  // a new speed from here on, mid-replay too
      t0 = now(), w0 = performance.now(), speed = +select.value
    }
  }

  function replayOf(target) {
    var block = target.closest && target.closest(".snippet-replay") && target.closest("div.snippet-output")
    if (block && !replays.has(block)) replays.set(block, new Replay(block))
    return block && replays.get(block)
  }
  document.addEventListener("click", function (event) {
    var replay = event.target.closest && event.target.closest(".snippet-replay button") && replayOf(event.target)
    if (replay) replay.start()
  })
  document.addEventListener("change", function (event) {
    var replay = replayOf(event.target)
    if (replay) replay.speed()
  })

  // One control per idle moment, not all at once: adding a dozen in one go, and laying them out, was a task
  // long enough to count as blocking time in Lighthouse (about 0.1 s with its 4x slower CPU).
  var idle = window.requestIdleCallback  // (at the latest 0.2 s on, however busy the page)
    ? function (step) { return requestIdleCallback(step, {timeout: 200}) }
    : function (step) { return setTimeout(step, 1) }
  function addControls() {
    var blocks = Array.from(document.querySelectorAll("div.snippet-output"))
    idle(function step() {
      if (blocks.length) addControl(blocks.shift())
      if (blocks.length) idle(step)
    })
  }
  if (window.document$ && document$.subscribe) document$.subscribe(addControls)  // Material's instant navigation
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", addControls)
  else addControls()
})()
