// Filters that apply on change (the sort and theme of a forum page): progressive
// enhancement of a plain GET form marked data-auto-submit, whose button stays for
// browsers without JavaScript and for keyboard users.
//
// A choice made with the mouse or a finger (the select's list, a phone's picker) sends
// the form at once. Arrow keys and typed letters on a closed select change its value and
// fire "change" on every key in Chromium on Windows and Linux: sending then would reload
// the page at the first arrow. So a change made by a key only waits; Enter on the select
// sends it, and so does the button. After the reload, the select that was used gets the
// focus back (and is scrolled into view), so keyboard and screen-reader users stay where
// they were.
"use strict";
(function () {
  var FOCUS_KEY = "hienke-filter-focus";
  var KEYS_THAT_CHANGE = /^(Arrow(Up|Down|Left|Right)|Home|End|Page(Up|Down)|.)$/;

  function remember(select) {
    try {
      window.sessionStorage.setItem(FOCUS_KEY, window.location.pathname + "#" + select.id);
    } catch (error) {
      // Storage may be off (private mode): only the focus is lost.
    }
  }

  function restoreFocus(form) {
    var stored = null;
    try {
      stored = window.sessionStorage.getItem(FOCUS_KEY);
      window.sessionStorage.removeItem(FOCUS_KEY);
    } catch (error) {
      return;
    }
    if (!stored || stored.indexOf(window.location.pathname + "#") !== 0) {
      return;
    }
    var select = document.getElementById(stored.slice(stored.indexOf("#") + 1));
    if (select && form.contains(select)) {
      select.scrollIntoView({ block: "center" });
      select.focus({ preventScroll: true });
    }
  }

  function send(form, select) {
    remember(select);
    // Without JavaScript the form's "#proposals" brings the list into view; here the focus
    // does, and a fragment would take the focus away again (Chromium clears the focus when
    // it scrolls to a target that cannot take it).
    form.action = form.action.split("#")[0];
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function autoSubmit(form) {
    var byKey = false;
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && select.hasAttribute("data-changed")) {
          event.preventDefault();
          send(form, select);
          return;
        }
        if (!event.altKey && !event.ctrlKey && !event.metaKey && KEYS_THAT_CHANGE.test(event.key)) {
          // A change fired by this key's default action comes before the timeout runs.
          byKey = true;
          window.setTimeout(function () {
            byKey = false;
          }, 0);
        }
      });
      select.addEventListener("change", function () {
        if (byKey) {
          select.setAttribute("data-changed", "");
          return;
        }
        send(form, select);
      });
    });
    restoreFocus(form);
  }

  document.querySelectorAll("form[data-auto-submit]").forEach(autoSubmit);
})();
