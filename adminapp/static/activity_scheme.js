// A new record's form follows its scheme: choosing another scheme reloads the form with that scheme's own fields.
(function () {
  var select = document.getElementById("scheme");
  if (!select || !window.jQuery) {
    return;
  }
  window.jQuery(select).on("change", function () {
    var url = new URL(window.location.href);
    url.searchParams.set("scheme", select.value);
    window.location.assign(url.toString());
  });
})();
