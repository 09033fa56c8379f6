// Bootstrap classes on plain Django widgets, and submit buttons that post once (double clicks).
document.querySelectorAll("form input:not([type=hidden]):not([type=checkbox]):not([type=radio]), form select, form textarea").forEach((el) => {
  if (!el.classList.contains("form-control") && !el.classList.contains("form-select")) {
    el.classList.add(el.tagName === "SELECT" ? "form-select" : "form-control");
  }
});
document.querySelectorAll(".form-check > input[type=checkbox], .form-check > input[type=radio]").forEach((el) => {
  el.classList.add("form-check-input");
});
document.querySelectorAll("form").forEach((form) => {
  form.addEventListener("submit", () => {
    form.querySelectorAll("button[data-once]").forEach((b) => { b.disabled = true; });
  });
});
