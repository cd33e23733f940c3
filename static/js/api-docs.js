// The API's documentation page (static/api/index.html): Swagger UI, vendored in
// static/vendor/swagger-ui, reading the OpenAPI document this site generates.
document.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // never ask an outside validator about our document
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
  });
});
