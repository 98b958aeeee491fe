// The phone menu is a <details> element and works without this file. With it, the menu
// also closes on Escape (focus back on the toggle), on a click outside it, and when a
// link in it is followed, so a page restored by the Back button never shows it open.
(function () {
  "use strict";
  var menu = document.querySelector(".site-menu");
  if (!menu) {
    return;
  }
  var toggle = menu.querySelector("summary");

  function close() {
    menu.open = false;
  }

  menu.addEventListener("click", function (event) {
    if (event.target.closest("a")) {
      close();
    }
  });
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.open) {
      close();
      toggle.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (menu.open && !menu.contains(event.target)) {
      close();
    }
  });
  window.addEventListener("pageshow", close);
})();
