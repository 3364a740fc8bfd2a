# The static EC2 host running CARIS HIPS and SIPS and leadline-worker: private subnet, no public
# IP, no SSH (Session Manager only), started and stopped by the state machine through its tag.

data "aws_region" "current" {}

data "aws_ami" "processor_host" {
  most_recent = true
  owners      = ["self"]
  filter {
    name   = "name"
    values = ["${var.ami_name_prefix}*"]
  }
}

locals {
  uploads = "arn:aws:s3:::${var.bucket_names["uploads"]}"
  work    = "arn:aws:s3:::${var.bucket_names["work"]}"
}

# The CARIS licence is put here out of band (docs/deploy.md) and read by the worker at start;
# it is never baked into the image nor written to disk.
resource "aws_secretsmanager_secret" "licence" {
  #checkov:skip=CKV2_AWS_57:The licence is issued by Teledyne CARIS; there is nothing a rotation Lambda could renew.
  name       = "${var.name_prefix}/caris-licence"
  kms_key_id = var.kms_key_arn
}

resource "aws_iam_role" "host" {
  name = "${var.name_prefix}-processor-host"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "host" {
  name = "worker-and-session-manager"
  role = aws_iam_role.host.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "PollTheActivity"
        Effect   = "Allow"
        Action   = ["states:GetActivityTask", "states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"]
        Resource = [var.activity_arn]
      },
      { Sid = "Licence", Effect = "Allow", Action = ["secretsmanager:GetSecretValue"], Resource = [aws_secretsmanager_secret.licence.arn] },
      { Sid = "ReadUploads", Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${local.uploads}/*"] },
      { Sid = "ListUploads", Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.uploads] },
      {
        Sid       = "ListCheckpoints"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = [local.work]
        Condition = { StringLike = { "s3:prefix" = ["${var.checkpoint_prefix}*"] } }
      },
      {
        Sid      = "Checkpoints"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = ["${local.work}/${var.checkpoint_prefix}*"]
      },
      { Sid = "Key", Effect = "Allow", Action = ["kms:Decrypt", "kms:GenerateDataKey"], Resource = [var.kms_key_arn] },
      {
        # The SSM agent's channel for Session Manager; these actions have no resource-level
        # permissions.
        Sid    = "SessionManager"
        Effect = "Allow"
        Action = [
          "ssm:UpdateInstanceInformation",
          "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
          "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
          "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply",
        ]
        Resource = ["*"]
      },
    ]
  })
}

resource "aws_iam_instance_profile" "host" {
  name = "${var.name_prefix}-processor-host"
  role = aws_iam_role.host.name
}

resource "aws_instance" "host" {
  ami                         = data.aws_ami.processor_host.id
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [var.security_group_id]
  iam_instance_profile        = aws_iam_instance_profile.host.name
  associate_public_ip_address = false
  monitoring                  = true
  ebs_optimized               = true

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }

  # Encrypted with the account's EBS key (aws/ebs), not the deployment's: a volume under a
  # customer key would make every StartInstances need kms:CreateGrant, i.e. the state machine's
  # role would need a grant on the key that protects all the buckets.
  root_block_device {
    encrypted   = true
    volume_size = var.volume_gb
    volume_type = "gp3"
  }

  # The image is environment-neutral; this gives the worker its settings
  # (workers/processor-host/WINDOWS.md) at every boot. They go into the service's own
  # environment (the Environment value of its registry key), which the service control manager
  # reads at each start: machine variables set after boot would not reach a service until the
  # next reboot.
  user_data = <<-EOT
    <powershell>
    $settings = @(
      "LEADLINE_ACTIVITY_ARN=${var.activity_arn}",
      "LEADLINE_CHECKPOINT=s3://${var.bucket_names["work"]}/${var.checkpoint_prefix}",
      "LEADLINE_LICENCE_SECRET=${aws_secretsmanager_secret.licence.arn}",
      "LEADLINE_WORK_ROOT=C:\leadline\work",
      "AWS_REGION=${data.aws_region.current.name}"
    )
    New-ItemProperty -Path HKLM:\SYSTEM\CurrentControlSet\Services\leadline-worker -Name Environment -PropertyType MultiString -Value $settings -Force | Out-Null
    Restart-Service leadline-worker
    </powershell>
    <persist>true</persist>
  EOT

  tags = {
    Name            = "${var.name_prefix}-processor"
    "leadline:role" = var.host_tag
  }

  # A new AMI must not silently replace the host: the rendered machines name its instance id.
  # Roll a new image deliberately (docs/deploy.md).
  lifecycle {
    ignore_changes = [ami]
  }
}

# The packer build instance reads the installers and nothing else.
resource "aws_iam_role" "image_build" {
  name = "${var.name_prefix}-image-build"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "image_build" {
  name = "read-installers"
  role = aws_iam_role.image_build.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = ["arn:aws:s3:::${var.installers}/*"]
    }]
  })
}

resource "aws_iam_instance_profile" "image_build" {
  name = "${var.name_prefix}-image-build"
  role = aws_iam_role.image_build.name
}
