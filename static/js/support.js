// Support button: updates in place without reloading (progressive enhancement).
// Without JavaScript the form posts and the page reloads; with it, the same form is
// sent with fetch and the answer {"supported": bool, "support_count": int,
// "support_label": str} is applied (count and label only where the forum shows tallies).
// Every visible text comes from the server (gettext): data-* attributes, and the label
// after the count, in the catalog's plural form for that count ("1 support", "2 supports").
"use strict";

(function () {
  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function announce(widget, message, isError) {
    var status = widget.querySelector("[data-support-status]");
    if (!status) {
      return;
    }
    status.classList.toggle("support-status-error", Boolean(isError));
    // Clear first so that the same message twice is announced twice.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = message || "";
    }, 50);
  }

  function applyState(widget, form, button, supported, count, countLabel) {
    var counter = widget.querySelector("[data-support-count]");
    var counterLabel = widget.querySelector("[data-support-label]");
    var label = button.querySelector("[data-support-button-label]") || button;
    if (counter && typeof count === "number") {
      counter.textContent = numberFormat.format(count);
    }
    if (counterLabel && typeof countLabel === "string") {
      counterLabel.textContent = countLabel;
    }
    label.textContent = supported ? button.dataset.labelSupported : button.dataset.labelSupport;
    button.title = supported ? button.dataset.titleSupported : button.dataset.titleSupport;
    button.setAttribute("aria-pressed", supported ? "true" : "false");
    button.classList.toggle("button-supported", supported);
    button.classList.toggle("button-primary", !supported);
    widget.classList.toggle("is-supported", supported);
    form.action = supported ? form.dataset.unsupportUrl : form.dataset.supportUrl;
  }

  function readJson(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      return Promise.resolve(null);
    }
    return response.json().catch(function () {
      return null;
    });
  }

  function submitSupport(form) {
    var widget = form.closest("[data-support]") || form;
    var button = form.querySelector("button[type=submit], button:not([type])");
    var tokenField = form.querySelector("input[name=csrf_token]");
    var wasSupported = button.getAttribute("aria-pressed") === "true";

    // aria-disabled rather than the disabled property: a disabled button drops keyboard
    // focus. The aria-busy flag on the form is what stops a second request.
    button.setAttribute("aria-disabled", "true");
    form.setAttribute("aria-busy", "true");

    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "X-CSRFToken": tokenField ? tokenField.value : ""
      }
    })
      .then(function (response) {
        return readJson(response).then(function (data) {
          if (response.ok && data && typeof data.supported === "boolean") {
            applyState(widget, form, button, data.supported, data.support_count, data.support_label);
            announce(widget, data.supported ? widget.dataset.messageSupported : widget.dataset.messageWithdrawn, false);
            return;
          }
          if (response.status === 401 && data && data.login_url) {
            window.location.assign(data.login_url);
            return;
          }
          // Keep the old state; show the server's explanation when there is one.
          applyState(widget, form, button, wasSupported, undefined);
          announce(widget, (data && data.message) || widget.dataset.messageFailed, true);
        });
      })
      .catch(function () {
        applyState(widget, form, button, wasSupported, undefined);
        announce(widget, widget.dataset.messageFailed, true);
      })
      .then(function () {
        button.removeAttribute("aria-disabled");
        form.removeAttribute("aria-busy");
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("form[data-support-form]")) {
      return;
    }
    if (!window.fetch || !window.FormData) {
      return; // very old browser: let the plain form post happen
    }
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") {
      return; // a request for this button is already in flight
    }
    submitSupport(form);
  });
})();
