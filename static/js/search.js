// Search as you type (/search) and "Đã có hiến kế tương tự?" on the new-proposal form.
// Progressive enhancement: both work as plain form posts and links without JavaScript;
// here the server's own HTML fragments are fetched and swapped in (no HTML is built from
// user text in the browser).
"use strict";
(function () {
  var FRAGMENT_HEADERS = { "X-Requested-With": "fetch" };

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, wait);
    };
  }

  // Fetches a fragment; a newer call aborts the one still running (its answer is stale).
  function fragmentFetcher() {
    var controller = null;
    return function (url) {
      if (controller) {
        controller.abort();
      }
      controller = new AbortController();
      var mine = controller;
      return fetch(url, { headers: FRAGMENT_HEADERS, credentials: "same-origin", signal: mine.signal })
        .finally(function () {
          if (controller === mine) {
            controller = null;
          }
        });
    };
  }

  function isAbort(error) {
    return error && error.name === "AbortError";
  }

  // /search -------------------------------------------------------------------------
  function liveSearch(form) {
    var results = document.querySelector("[data-search-results]");
    var status = document.querySelector("[data-search-status]");
    var input = form.querySelector("input[name=q]");
    if (!results || !status || !input || !window.fetch || !window.AbortController) {
      return;
    }
    var fetchFragment = fragmentFetcher();
    var lastQuery = null;

    function queryString() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (value !== "" && !(key === "sort" && value === "relevance")) {
          params.append(key, value);
        }
      });
      return params.toString();
    }

    function refresh() {
      var query = queryString();
      if (query === lastQuery) {
        return;
      }
      lastQuery = query;
      var url = form.action + (query ? "?" + query : "");
      results.setAttribute("aria-busy", "true");
      fetchFragment(url)
        .then(function (response) {
          if (response.status === 429) {
            lastQuery = null;
            status.textContent = form.getAttribute("data-search-too-fast");
            return null;
          }
          // 422 (a bad date) and 503 (search unavailable) come with a fragment explaining why.
          if (!response.ok && response.status !== 422 && response.status !== 503) {
            throw new Error("HTTP " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          if (html === null) {
            return;
          }
          results.innerHTML = html;
          markFieldErrors(form, results);
          history.replaceState(history.state, "", url);
          var outcome = results.querySelector("[data-search-announce]");
          status.textContent = outcome ? outcome.getAttribute("data-search-announce") : "";
          if (outcome && outcome.getAttribute("data-search-title")) {
            document.title = outcome.getAttribute("data-search-title");
          }
        })
        .catch(function (error) {
          if (!isAbort(error)) {
            lastQuery = null;
            status.textContent = form.getAttribute("data-search-error");
          }
        })
        .finally(function () {
          results.removeAttribute("aria-busy");
        });
    }

    var refreshSoon = debounce(refresh, 250);
    input.addEventListener("input", refreshSoon);
    form.addEventListener("change", function (event) {
      if (event.target !== input) {
        refresh();
      }
    });
    lastQuery = queryString();
    filterThemesByForum(form);
  }

  // The date fields say what the new results say about them (a date fixed or broken
  // since the page was loaded), as the server renders them on a full page: the message
  // under the field, its red border, aria-invalid and aria-describedby. The messages are
  // the server's own (data-error of the fragment's summary).
  function markFieldErrors(form, results) {
    form.querySelectorAll("input[pattern]").forEach(function (input) {
      var messages = [];
      results.querySelectorAll("[data-error-for]").forEach(function (item) {
        if (item.getAttribute("data-error-for") === input.id) {
          messages.push(item.getAttribute("data-error"));
        }
      });
      var field = input.closest(".field");
      var errorId = input.id + "-error";
      var error = document.getElementById(errorId);
      if (messages.length && !error) {
        error = document.createElement("p");
        error.className = "field-error";
        error.id = errorId;
        (input.closest(".date-entry") || input).insertAdjacentElement("afterend", error);
      }
      if (messages.length) {
        error.textContent = messages.join(" ");
        input.setAttribute("aria-invalid", "true");
      } else {
        if (error) {
          error.remove();
        }
        input.removeAttribute("aria-invalid");
      }
      if (field) {
        field.classList.toggle("field-invalid", messages.length > 0);
      }
      var hint = document.getElementById(input.id + "-hint");
      var describedBy = (hint ? [hint.id] : []).concat(messages.length ? [errorId] : []);
      if (describedBy.length) {
        input.setAttribute("aria-describedby", describedBy.join(" "));
      } else {
        input.removeAttribute("aria-describedby");
      }
    });
  }

  // A calendar button beside each date field, where the browser can open its own date
  // picker (showPicker). The text stays the field: the picker only writes 30/11/2023 into
  // it. The <input type="date"> behind the button has no name (never sent), is out of the
  // tab order and hidden from assistive technology; it only anchors the picker.
  var DAY_FIRST = /^\s*(\d{1,2})\s*[\/.,\- ]\s*(\d{1,2})\s*[\/.,\- ]\s*(\d{4})\s*$/;

  function twoDigits(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function canShowPicker() {
    var probe = document.createElement("input");
    probe.setAttribute("type", "date");
    return probe.type === "date" && typeof probe.showPicker === "function";
  }

  function addDatePicker(input, label) {
    var entry = document.createElement("span");
    entry.className = "date-entry";
    var field = input.closest(".field");
    if (field) {
      field.classList.add("has-date-picker");
    }
    input.insertAdjacentElement("beforebegin", entry);
    entry.appendChild(input);

    var native = document.createElement("input");
    native.type = "date";
    native.className = "date-picker-native";
    native.tabIndex = -1;
    native.setAttribute("aria-hidden", "true");
    native.min = "2000-01-01";
    native.max = "2100-12-31";

    var button = document.createElement("button");
    button.type = "button";
    button.className = "button date-picker-button";
    button.setAttribute("aria-label", label + " (" + (input.labels && input.labels[0] ? input.labels[0].textContent.trim() : "") + ")");
    button.title = label;
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    [["rect", { x: "3.5", y: "5", width: "17", height: "15.5", rx: "2" }], ["line", { x1: "3.5", y1: "9.5", x2: "20.5", y2: "9.5" }],
      ["line", { x1: "8", y1: "3", x2: "8", y2: "7" }], ["line", { x1: "16", y1: "3", x2: "16", y2: "7" }]].forEach(function (shape) {
      var element = document.createElementNS("http://www.w3.org/2000/svg", shape[0]);
      Object.keys(shape[1]).forEach(function (name) {
        element.setAttribute(name, shape[1][name]);
      });
      element.setAttribute("fill", "none");
      element.setAttribute("stroke", "currentColor");
      element.setAttribute("stroke-width", "2");
      svg.appendChild(element);
    });
    button.appendChild(svg);
    entry.appendChild(button);
    entry.appendChild(native);

    button.addEventListener("click", function () {
      var match = DAY_FIRST.exec(input.value);
      native.value = match ? match[3] + "-" + twoDigits(+match[2]) + "-" + twoDigits(+match[1]) : "";
      try {
        native.showPicker();
      } catch (error) {
        input.focus(); // no picker now: typing still works
      }
    });
    native.addEventListener("change", function (event) {
      event.stopPropagation(); // the text field's own change below is the one that counts
      var parts = native.value.split("-");
      if (parts.length !== 3) {
        return;
      }
      input.value = parts[2] + "/" + parts[1] + "/" + parts[0];
      input.dispatchEvent(new Event("change", { bubbles: true }));
      button.focus();
    });
  }

  function datePickers(form) {
    var label = form.getAttribute("data-date-picker-label");
    if (!label || !canShowPicker()) {
      return;
    }
    form.querySelectorAll("input[data-date-field]").forEach(function (input) {
      addDatePicker(input, label);
    });
  }

  // Only the chosen forum's themes are offered; a theme of another forum is cleared.
  function filterThemesByForum(form) {
    var forum = form.querySelector("select[name=forum]");
    var theme = form.querySelector("select[data-theme-select]");
    if (!forum || !theme) {
      return;
    }
    function apply() {
      var chosen = forum.value;
      theme.querySelectorAll("optgroup[data-forum-id]").forEach(function (group) {
        var shown = !chosen || group.getAttribute("data-forum-id") === chosen;
        group.hidden = !shown;
        group.disabled = !shown;
      });
      var selected = theme.options[theme.selectedIndex];
      if (selected && selected.parentElement.disabled) {
        theme.value = "";
      }
    }
    // Runs before the change handler of the form (which then searches with the theme cleared).
    forum.addEventListener("change", apply);
    apply();
  }

  // "Đã có hiến kế tương tự?" ---------------------------------------------------------
  function similarBox(box) {
    var field = document.getElementById(box.getAttribute("data-similar-for"));
    var status = document.querySelector("[data-similar-status]");
    var url = box.getAttribute("data-similar-url");
    if (!field || !url || !window.fetch || !window.AbortController) {
      return;
    }
    // Right under the title, where the delegate is looking while typing it.
    var fieldBlock = field.closest(".field") || field;
    fieldBlock.insertAdjacentElement("afterend", box);
    var fetchFragment = fragmentFetcher();
    var MIN_LENGTH = 8; // as SIMILAR_MIN_LENGTH in forum/search/views.py
    var lastTitle = null;

    function title() {
      var text = field.value.normalize ? field.value.normalize("NFC") : field.value;
      return text.replace(/\s+/g, " ").trim();
    }

    function show(html) {
      var hadResults = box.querySelector("[data-similar-found]") !== null;
      box.innerHTML = html;
      var found = box.querySelector("[data-similar-found]");
      if (status && found && !hadResults) {
        status.textContent = found.getAttribute("data-similar-announce");
      } else if (status && !found) {
        status.textContent = "";
      }
    }

    function lookUp() {
      var text = title();
      if (text === lastTitle) {
        return;
      }
      lastTitle = text;
      if (text.length < MIN_LENGTH) {
        show("");
        return;
      }
      fetchFragment(url + "?" + new URLSearchParams({ title: text }).toString())
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.text();
        })
        .then(show)
        .catch(function (error) {
          if (!isAbort(error)) {
            lastTitle = null; // try again on the next keystroke; the form works regardless
          }
        });
    }

    field.addEventListener("input", debounce(lookUp, 400));
    if (!box.querySelector("[data-similar-found]")) {
      lookUp();
    } else {
      lastTitle = title();
    }
  }

  var form = document.querySelector("form[data-live-search]");
  if (form) {
    datePickers(form);
    liveSearch(form);
  }
  document.querySelectorAll("[data-similar-url]").forEach(similarBox);
})();
