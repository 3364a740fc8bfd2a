output "state_machine_arn" {
  value = aws_sfn_state_machine.survey.arn
}

output "version_arn" {
  description = "The version this apply published: pin a channel to it to promote (pinned_versions)."
  value       = aws_sfn_state_machine.survey.state_machine_version_arn
}

output "alias_arns" {
  value = { for k, a in aws_sfn_alias.channel : k => a.arn }
}

output "activity_arn" {
  value = aws_sfn_activity.processor.id
}

output "activity_name" {
  value = aws_sfn_activity.processor.name
}
