// Action pickers (a menu key, a system policy): show only the target field the chosen action needs.
// Without JavaScript every field shows and the server says what is missing.
(function () {
  const data = document.getElementById("action-targets");
  if (!data) return;
  const targets = JSON.parse(data.textContent);
  const needsTarget = ["announcement", "menu", "extension", "optional_extension"];
  // In a table the cell stays (the rows keep their lines); in a form the whole field goes.
  function fieldOf(input) { return input.closest(".field") || input; }
  function update(typeSelect) {
    const prefix = typeSelect.dataset.action;
    const kind = targets[typeSelect.value] || "none";
    document.querySelectorAll(`[data-action="${prefix}"]`).forEach((input) => {
      if (input.dataset.part === "target") fieldOf(input).hidden = !needsTarget.includes(kind);
      if (input.dataset.part === "number") fieldOf(input).hidden = kind !== "e164";
    });
  }
  document.querySelectorAll('select[data-part="type"]').forEach((select) => {
    update(select);
    select.addEventListener("change", () => update(select));
  });
})();
