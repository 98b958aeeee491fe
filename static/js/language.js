// Offers the German page to a browser that prefers German, on English pages only. The
// offer is in every English page, hidden: the page stays the same for every visitor (one
// shared cached copy), nothing redirects, and without this file nobody sees it. Dismissed,
// it stays away (localStorage, this browser only).
(function () {
  "use strict";
  var offer = document.querySelector("[data-language-offer]");
  if (!offer) {
    return;
  }
  var language = offer.getAttribute("data-language-offer");
  var storageKey = "certguide-language-offer-dismissed";

  function dismissed() {
    try {
      return window.localStorage.getItem(storageKey) === "1";
    } catch (error) {
      return false; // storage blocked: offer again, the visitor can still close it
    }
  }

  // The first of the browser's languages that the site speaks decides: German only when
  // the visitor prefers it to English.
  var preferred = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
  var first = "";
  for (var i = 0; i < preferred.length; i++) {
    var code = String(preferred[i]).toLowerCase().split("-")[0];
    if (code === "en" || code === language) {
      first = code;
      break;
    }
  }
  if (first !== language || dismissed()) {
    return;
  }
  offer.hidden = false;
  var close = offer.querySelector("[data-language-offer-close]");
  if (close) {
    close.addEventListener("click", function () {
      offer.hidden = true;
      try {
        window.localStorage.setItem(storageKey, "1");
      } catch (error) {
        // storage blocked: hidden for this page only
      }
      var main = document.getElementById("main");
      if (main) {
        main.focus();
      }
    });
  }
})();
