// Keyboard shortcuts for the paper review page: 1-9 choose (or tick), 0 blank, x can't tell.
// The page works without this script: every control is a native button, checkbox or field.
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey) { return; }
  var target = event.target;
  var typing = target && (target.tagName === "INPUT" && target.type === "text" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
  if (typing) { return; }
  var key = event.key === "X" ? "x" : event.key;
  var control = document.querySelector('[data-key="' + key + '"]');
  if (!control) { return; }
  event.preventDefault();
  if (control.type === "checkbox") { control.checked = !control.checked; control.focus(); } else { control.click(); }
});
