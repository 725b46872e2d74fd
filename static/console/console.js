// Shared console behaviour. Forms with data-confirm ask before they are sent (deletes, key rotation).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// Forms with data-kind-switch show only the fieldsets of the chosen kind (data-kind="TTS" for the
// radio value TTS); without JavaScript every fieldset stays visible and the server sorts it out.
function showChosenKind(form) {
  const chosen = form.querySelector("input[name=type]:checked");
  form.querySelectorAll("fieldset[data-kind]").forEach((fieldset) => {
    fieldset.hidden = chosen !== null && fieldset.dataset.kind !== chosen.value;
  });
}
document.querySelectorAll("form[data-kind-switch]").forEach(showChosenKind);
document.addEventListener("change", (event) => {
  const form = event.target.closest && event.target.closest("form[data-kind-switch]");
  if (form && event.target.name === "type") showChosenKind(form);
});
