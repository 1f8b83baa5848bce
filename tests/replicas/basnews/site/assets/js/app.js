/* basnews-ar theme 4.2.7: small UI helpers (replica) */
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    var notice = document.getElementById("cookie-notice");
    try { if (notice && window.localStorage.getItem("bn_cookie_ok") === "1") { notice.classList.add("hidden"); } } catch (e) {}
    var ok = document.getElementById("cookie-accept");
    if (ok) { ok.addEventListener("click", function () { try { window.localStorage.setItem("bn_cookie_ok", "1"); } catch (e) {} notice.classList.add("hidden"); }); }

    var top = document.getElementById("back-to-top");
    window.addEventListener("scroll", function () { if (top) { top.classList.toggle("show", window.scrollY > 400); } });

    Array.prototype.forEach.call(document.querySelectorAll(".copy-link"), function (b) {
      b.addEventListener("click", function () { if (navigator.clipboard) { navigator.clipboard.writeText(b.getAttribute("data-clipboard")); } });
    });

    var body = document.getElementById("article-body"), size = 18;
    Array.prototype.forEach.call(document.querySelectorAll(".font-plus, .font-minus"), function (b) {
      b.addEventListener("click", function () { size += b.classList.contains("font-plus") ? 1 : -1; if (body) { body.style.fontSize = size + "px"; } });
    });

    var toggle = document.querySelector(".menu-toggle");
    if (toggle) { toggle.addEventListener("click", function () { var m = document.getElementById("primary-menu"); m.style.display = m.style.display === "flex" ? "" : "flex"; }); }

    // "load more": the replica has no API behind it, so the button just disables itself.
    Array.prototype.forEach.call(document.querySelectorAll(".load-more"), function (b) {
      b.addEventListener("click", function () { b.disabled = true; });
    });
  });
})();
