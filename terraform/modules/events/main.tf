# Uploads complete → trigger; execution status changes → notify.

locals {
  rules = {
    trigger = {
      description = "A survey upload is complete: <survey>/.done was created"
      pattern = {
        source        = ["aws.s3"]
        "detail-type" = ["Object Created"]
        detail = {
          bucket = { name = [var.uploads_bucket] }
          object = { key = [{ wildcard = "*/.done" }] }
        }
      }
    }
    notify = {
      description = "A survey run changed status"
      pattern = {
        source        = ["aws.states"]
        "detail-type" = ["Step Functions Execution Status Change"]
        detail        = { stateMachineArn = [var.state_machine_arn] }
      }
    }
  }
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each      = local.rules
  name          = "${var.name_prefix}-${each.key}"
  description   = each.value.description
  event_pattern = jsonencode(each.value.pattern)
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.rules
  rule     = aws_cloudwatch_event_rule.this[each.key].name
  arn      = var.functions[each.key].arn
  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}

resource "aws_lambda_permission" "this" {
  for_each      = local.rules
  statement_id  = "InvokeFromEventBridge"
  action        = "lambda:InvokeFunction"
  function_name = var.functions[each.key].name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.key].arn
}
