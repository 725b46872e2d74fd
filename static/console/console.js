// Shared console behaviour. Forms with data-confirm ask before they are sent (deletes, key rotation).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
