// Package docs holds the gateway's OpenAPI document, docs/openapi.yaml,
// built into the binary so that a node can serve it at /openapi.yaml. The
// tests of this package check the document against the OpenAPI 3.1
// specification, against the paths the gateway serves, and against real
// requests, answers and notifications of a gateway; they also keep the
// Postman collection in docs/postman/ generated from it.
package docs

import _ "embed"

//go:embed openapi.yaml
var openAPI string

// OpenAPI returns the OpenAPI 3.1 document (YAML) describing every path the
// gateway serves and the notifications it sends. Each call returns a new
// copy.
func OpenAPI() []byte { return []byte(openAPI) }
