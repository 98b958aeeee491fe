// The result page's "Copy link" button. Without this file the button stays hidden and
// the link sits in a read-only field to select and copy by hand. Its messages come from
// the button's data attributes, in the page's language.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-from]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-from"));
    var status = button.closest(".wizard-share__copy").querySelector("[role=status]");
    if (!field || !status) {
      return;
    }
    button.hidden = false;

    function copied() {
      status.textContent = button.getAttribute("data-copied") || "Link copied.";
    }
    function selectInstead() {
      field.focus();
      field.select();
      status.textContent =
        button.getAttribute("data-select-instead") ||
        "The link is selected: press Ctrl+C (or Command+C) to copy it.";
    }

    button.addEventListener("click", function () {
      status.textContent = "";
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(copied, selectInstead);
      } else {
        selectInstead();
      }
    });
  });
})();
