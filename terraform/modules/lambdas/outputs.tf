output "function_arns" {
  description = "function → ARN."
  value       = { for k, f in aws_lambda_function.this : k => f.arn }
}

output "function_names" {
  value = { for k, f in aws_lambda_function.this : k => f.function_name }
}

output "webhooks_secret_arn" {
  description = "Put the webhook list here (docs/deploy.md)."
  value       = aws_secretsmanager_secret.webhooks.arn
}
