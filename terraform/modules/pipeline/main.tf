# The survey state machine, its versions and release-channel aliases, the processor activity and
# the one role the machine runs as.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name
  # ecs:runTask.sync watches its task through this managed rule (AWS's name, not ours).
  ecs_sync_rule = "arn:aws:events:${local.region}:${local.account}:rule/StepFunctionsGetEventsForECSTaskRule"
}

resource "aws_sfn_activity" "processor" {
  name = "${var.name_prefix}-processor"
}

resource "aws_cloudwatch_log_group" "executions" {
  # The vendedlogs prefix keeps the log-delivery resource policy small.
  name              = "/aws/vendedlogs/states/${var.state_machine_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "state_machine" {
  name = var.state_machine_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
}

# Exactly what the rendered machine calls (crates/infra's tests hold this to the machine).
# Activity tasks need no permission on the machine's role: Step Functions hands them to the
# worker, whose instance profile polls only this activity.
resource "aws_iam_role_policy" "state_machine" {
  name = "survey-calls"
  role = aws_iam_role.state_machine.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "InvokeTheFunctions"
        Effect   = "Allow"
        Action   = ["lambda:InvokeFunction"]
        Resource = concat(var.function_arns, [for f in var.function_arns : "${f}:*"])
      },
      {
        Sid       = "RunTheJobs"
        Effect    = "Allow"
        Action    = ["ecs:RunTask"]
        Resource  = concat([for t in var.task_definitions : t.arn], [for t in var.task_definitions : "${t.arn}:*"])
        Condition = { ArnEquals = { "ecs:cluster" = var.cluster_arn } }
      },
      {
        Sid      = "WatchTheJobs"
        Effect   = "Allow"
        Action   = ["ecs:StopTask", "ecs:DescribeTasks"]
        Resource = ["arn:aws:ecs:${local.region}:${local.account}:task/${var.cluster_name}/*"]
      },
      {
        Sid      = "SyncJobEvents"
        Effect   = "Allow"
        Action   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
        Resource = [local.ecs_sync_rule]
      },
      {
        Sid       = "PassTheJobRoles"
        Effect    = "Allow"
        Action    = ["iam:PassRole"]
        Resource  = distinct(concat([for t in var.task_definitions : t.task_role_arn], [for t in var.task_definitions : t.execution_role_arn]))
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
      {
        Sid       = "StartAndStopTheHost"
        Effect    = "Allow"
        Action    = ["ec2:StartInstances", "ec2:StopInstances"]
        Resource  = ["arn:aws:ec2:${local.region}:${local.account}:instance/*"]
        Condition = { StringEquals = { "aws:ResourceTag/leadline:role" = var.host_tag } }
      },
      {
        # DescribeInstances has no resource-level permissions; the machine filters by the tag.
        Sid      = "WaitForTheHost"
        Effect   = "Allow"
        Action   = ["ec2:DescribeInstances"]
        Resource = ["*"]
      },
      {
        # Log delivery and X-Ray have no resource-level permissions (AWS's documented policy).
        Sid    = "ExecutionLogsAndTraces"
        Effect = "Allow"
        Action = [
          "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
          "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
        ]
        Resource = ["*"]
      },
    ]
  })
}

resource "aws_sfn_state_machine" "survey" {
  name       = var.state_machine_name
  role_arn   = aws_iam_role.state_machine.arn
  type       = "STANDARD"
  definition = file(var.definition_file)
  # Each apply that changes the definition publishes a new version for the channels.
  publish = true

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.executions.arn}:*"
    include_execution_data = true
    level                  = var.log_level
  }

  tracing_configuration {
    enabled = true
  }

  depends_on = [aws_iam_role_policy.state_machine]
}

resource "aws_sfn_alias" "channel" {
  for_each = var.channels
  name     = each.key
  routing_configuration {
    state_machine_version_arn = lookup(var.pinned_versions, each.key, aws_sfn_state_machine.survey.state_machine_version_arn)
    weight                    = 100
  }
}
