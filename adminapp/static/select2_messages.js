// Flask-Admin's searchable pickers (select2) in the page's language: the messages come from the script tag.
(function () {
  var tag = document.getElementById("pd-select2-messages");
  if (!tag || !window.jQuery || !jQuery.fn.select2) { return; }
  var say = tag.dataset;
  jQuery.extend(jQuery.fn.select2.defaults, {
    formatNoMatches: function () { return say.noMatches; },
    formatSearching: function () { return say.searching; },
    formatAjaxError: function () { return say.failed; },
    formatLoadMore: function () { return say.searching; },
    formatInputTooShort: function () { return say.tooShort; },
    formatMatches: function (n) { return say.matches.replace("%n", n); }
  });
})();
