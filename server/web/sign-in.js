// The demo's sign-in (docs/front-ends.md): asks POST /api/v1/demo/sign-in for a token (only a
// server with server.demo_sign_in answers) and opens the workbench or the console with it.
const form = document.getElementById("sign-in");
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const q = new URLSearchParams({ shop: form.shop.value, person: form.person.value, role: form.role.value });
  const res = await fetch(`/api/v1/demo/sign-in?${q}`, { method: "POST" });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    document.getElementById("problem").textContent = body.message || `sign-in refused (${res.status})`;
    return;
  }
  const page = form.role.value === "agent" ? "workbench.html" : "console.html";
  location.href = `${page}#${new URLSearchParams({ shop: form.shop.value, token: body.token })}`;
});
