// Ask before destructive form posts: forms carry data-confirm="question".
document.addEventListener("submit", function (event) {
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A select that narrows another one (the org for its teams): changing it
// clears the other and applies the filter at once.
document.addEventListener("change", function (event) {
  const cleared = event.target.getAttribute("data-submit-on-change");
  if (!cleared || !event.target.form) {
    return;
  }
  const other = event.target.form.elements[cleared];
  if (other) {
    other.value = "0";
  }
  event.target.form.requestSubmit();
});

// A "Print" button (data-print): the page's print stylesheet leaves out the
// navigation and the forms.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
