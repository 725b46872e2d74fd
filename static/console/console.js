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

// "Play in order": the prompts of a test call, one after the other, as the caller hears them.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-play-all]");
  if (!button) return;
  const players = Array.from(button.closest("[data-play-in-order]").querySelectorAll("audio"));
  players.forEach((player) => { player.pause(); player.currentTime = 0; player.onended = null; });
  players.forEach((player, index) => {
    if (index + 1 < players.length) player.onended = () => players[index + 1].play();
  });
  if (players.length) players[0].play();
});

// Positions computed by the server (a schedule block's start and length) come as data-css-vars,
// "--start: 12.5; --length: 25", set here: the Content-Security-Policy allows no style attributes.
function applyCssVars(root) {
  root.querySelectorAll("[data-css-vars]").forEach((element) => {
    element.dataset.cssVars.split(";").forEach((declaration) => {
      const [name, value] = declaration.split(":").map((part) => part && part.trim());
      if (name && name.startsWith("--") && value) element.style.setProperty(name, value);
    });
  });
}
applyCssVars(document);
document.addEventListener("htmx:afterSettle", (event) => applyCssVars(event.target));
