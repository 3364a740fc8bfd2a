output "endpoint" {
  description = "Base URL of the run API (requests are SigV4-signed, service execute-api)."
  value       = aws_apigatewayv2_api.this.api_endpoint
}
