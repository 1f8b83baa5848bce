/* shafaq.com theme 3.8.2: font size control (replica) */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var body = document.getElementById("news-body"), size = 19;
    var up = document.querySelector(".font-control__up"), down = document.querySelector(".font-control__down");
    function apply() { if (body) { body.style.fontSize = size + "px"; } }
    if (up) { up.addEventListener("click", function () { size = Math.min(size + 1, 26); apply(); }); }
    if (down) { down.addEventListener("click", function () { size = Math.max(size - 1, 14); apply(); }); }
  });
})();
