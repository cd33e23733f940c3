// Character counters under the proposal and comment fields (progressive enhancement:
// the server checks the same limits and the hint above each field states them).
"use strict";
(function () {
  var locale = document.documentElement.lang === "vi" ? "vi-VN" : "en";

  function length(value) {
    // The server counts NFC characters after trimming; so does the counter.
    var text = value.normalize ? value.normalize("NFC") : value;
    return text.trim().length;
  }

  function attach(field) {
    var max = parseInt(field.getAttribute("data-char-counter"), 10);
    if (!max) {
      return;
    }
    var unit = field.getAttribute("data-char-counter-label") || "";
    var counter = document.createElement("p");
    counter.className = "char-counter small";
    counter.id = field.id + "-counter";
    field.insertAdjacentElement("afterend", counter);
    var describedBy = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + counter.id);

    function update() {
      var count = length(field.value);
      counter.textContent = count.toLocaleString(locale) + " / " + max.toLocaleString(locale) + " " + unit;
      counter.classList.toggle("char-counter-over", count > max);
    }
    field.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("[data-char-counter]").forEach(attach);
})();
