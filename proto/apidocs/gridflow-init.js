// Starts Swagger UI on the contract served by the gateway. "Try it out" sends requests to the
// same gateway; mutating operations need an API key (Authorize -> ApiKey -> X-API-Key).
window.addEventListener("load", function () {
  if (typeof window.SwaggerUIBundle !== "function") return; // fallback text stays
  window.ui = window.SwaggerUIBundle({
    url: new URL("../openapi.yaml", window.location.href).pathname,
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
