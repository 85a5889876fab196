/* mlatlas web report: the language switch (remembered) and the iteration sliders. No network. */
(function () {
  "use strict";
  var KEY = "mlatlas-report-lang";
  var root = document.documentElement;

  function stored() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
  }

  function setLang(lang, remember) {
    if (lang !== "en" && lang !== "zh") { return; }
    root.setAttribute("data-lang", lang);
    root.setAttribute("lang", lang === "zh" ? "zh-CN" : "en");
    var buttons = document.querySelectorAll("[data-set-lang]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(buttons[i].getAttribute("data-set-lang") === lang));
    }
    // the metrics' tooltips: their meaning in the chosen language
    var metrics = document.querySelectorAll("abbr.metric");
    for (var j = 0; j < metrics.length; j++) {
      metrics[j].setAttribute("title", metrics[j].getAttribute("data-" + lang + "-title") || "");
    }
    if (remember) {
      try { window.localStorage.setItem(KEY, lang); } catch (e) { /* storage refused: the choice lasts this page */ }
    }
  }

  // one frame of a set shown at a time
  function showFrame(stepper, index) {
    var frames = stepper.querySelectorAll(".frame");
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = i !== index; }
    stepper.querySelector(".step-label").textContent = frames[index].getAttribute("data-step");
  }

  // the cursor of a trace at step `index`: a vertical line, a dot per series, the values read out
  function moveCursor(trace, steps, index) {
    var step = steps[index];
    var line = trace.querySelector(".cursor-line");
    line.setAttribute("x1", step.x);
    line.setAttribute("x2", step.x);
    var dots = trace.querySelectorAll(".cursor-dot");
    var values = trace.querySelectorAll(".readout .value b");
    for (var k = 0; k < dots.length; k++) {
      var point = step.values[k];
      dots[k].setAttribute("cx", step.x);
      dots[k].setAttribute("cy", point[0] === null ? -100 : point[0]);
      if (values[k]) { values[k].textContent = point[1]; }
    }
    trace.querySelector(".step-label").textContent = step.label;
    trace.classList.add("moved");
  }

  function init() {
    setLang(stored() || root.getAttribute("data-default-lang") || "en", false);
    var buttons = document.querySelectorAll("[data-set-lang]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (event) {
        setLang(event.currentTarget.getAttribute("data-set-lang"), true);
      });
    }
    var steppers = document.querySelectorAll(".stepper");
    for (var s = 0; s < steppers.length; s++) {
      (function (stepper) {
        var input = stepper.querySelector("input[type=range]");
        input.addEventListener("input", function () { showFrame(stepper, Number(input.value)); });
      })(steppers[s]);
    }
    var traces = document.querySelectorAll(".trace");
    for (var t = 0; t < traces.length; t++) {
      (function (trace) {
        var steps = JSON.parse(trace.getAttribute("data-steps"));
        var input = trace.querySelector("input[type=range]");
        input.addEventListener("input", function () { moveCursor(trace, steps, Number(input.value)); });
      })(traces[t]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
