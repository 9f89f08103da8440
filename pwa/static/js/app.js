// 编办移动办公 — small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Tell htmx swaps apart from full loads for focus management: move focus to new headings
  // so screen-reader users hear what changed.
  document.addEventListener("htmx:afterSwap", function (event) {
    var heading = event.target.querySelector && event.target.querySelector("h1, h2");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  });
})();
