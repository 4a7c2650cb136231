// Progressive enhancement for Sportello's pages. Every page works without this file: it only
// makes forms shorter to read. No inline scripts anywhere (the Content-Security-Policy forbids
// them), so behaviour attaches here by data attributes.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  // Page rating (model for comuni): after the stars, ask only the question that fits them.
  document.querySelectorAll('form.sportello-rating').forEach(function (form) {
    var followup = form.querySelector('.sportello-rating-followup');
    var positive = form.querySelector('[data-polarity="positive"]');
    var negative = form.querySelector('[data-polarity="negative"]');
    if (!followup || !positive || !negative) { return; }

    function chosenStars() {
      var checked = form.querySelector('input[name="stars"]:checked');
      return checked ? parseInt(checked.value, 10) : 0;
    }

    function update(clearAnswer) {
      var stars = chosenStars();
      followup.hidden = stars === 0;
      var showPositive = stars >= 4;
      positive.hidden = !showPositive;
      negative.hidden = showPositive;
      var hiddenSet = showPositive ? negative : positive;
      hiddenSet.querySelectorAll('input').forEach(function (input) {
        input.disabled = true;
        if (clearAnswer) { input.checked = false; }
      });
      (showPositive ? positive : negative).querySelectorAll('input').forEach(function (input) {
        input.disabled = false;
      });
    }

    form.querySelectorAll('input[name="stars"]').forEach(function (input) {
      input.addEventListener('change', function () { update(true); });
    });
    update(false);
  });
})();
