# The processor host's image: Windows Server with CARIS HIPS and SIPS installed silently and
# leadline-worker as a service. No licence and no environment settings are baked in: the host's
# user data (terraform/modules/processor_host) sets them, and the worker reads the licence from
# Secrets Manager at start.
#
#   packer init packer/ && packer build -var-file=processor-host.pkrvars.hcl packer/

variable "region" {
  type        = string
  description = "Region to build in (the deployment's region)."
}

variable "subnet_id" {
  type        = string
  description = "Private subnet of the deployment's VPC to build in; run packer from inside the VPC (docs/deploy.md)."
}

variable "build_cidr" {
  type        = string
  description = "Address range allowed to reach the build instance's WinRM over HTTPS (the VPC's range)."
}

variable "build_instance_profile" {
  type        = string
  description = "Instance profile of the build instance: s3:GetObject on the installer and the worker, nothing else."
}

variable "caris_installer" {
  type        = string
  description = "s3://bucket/key of the CARIS HIPS and SIPS installer (a private location)."
}

variable "caris_install_arguments" {
  type        = string
  description = "Arguments of the installer's unattended mode, as Teledyne CARIS documents them for the release."
  default     = "/quiet /norestart"
}

variable "carisbatch" {
  type        = string
  description = "Where the release installs carisbatch.exe; added to the machine PATH."
  default     = "C:\\Program Files\\CARIS\\HIPS and SIPS\\11.4\\bin"
}

variable "worker" {
  type        = string
  description = "s3://bucket/key of leadline-worker.exe for Windows (workers/processor-host/WINDOWS.md)."
}

variable "instance_type" {
  type    = string
  default = "m6i.xlarge"
}

locals {
  stamp = regex_replace(timestamp(), "[- TZ:]", "")
}

source "amazon-ebs" "processor_host" {
  region                      = var.region
  ami_name                    = "leadline-processor-host-${local.stamp}"
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  associate_public_ip_address = false
  iam_instance_profile        = var.build_instance_profile
  encrypt_boot                = true

  source_ami_filter {
    filters = {
      name                = "Windows_Server-2022-English-Full-Base-*"
      virtualization-type = "hvm"
    }
    owners      = ["amazon"]
    most_recent = true
  }

  communicator                          = "winrm"
  winrm_username                        = "Administrator"
  winrm_use_ssl                         = true
  winrm_insecure                        = true
  winrm_timeout                         = "30m"
  temporary_security_group_source_cidrs = [var.build_cidr]
  user_data_file                        = "${path.root}/winrm-bootstrap.ps1"

  tags = {
    Name    = "leadline-processor-host"
    Project = "leadline"
  }
}

build {
  sources = ["source.amazon-ebs.processor_host"]

  provisioner "powershell" {
    environment_vars = [
      "CARIS_INSTALLER=${var.caris_installer}",
      "CARIS_ARGUMENTS=${var.caris_install_arguments}",
      "CARISBATCH_DIR=${var.carisbatch}",
    ]
    script = "${path.root}/install-caris.ps1"
  }

  provisioner "powershell" {
    environment_vars = ["LEADLINE_WORKER=${var.worker}"]
    script           = "${path.root}/install-worker.ps1"
  }

  # A new session sees the machine PATH the installer changed.
  provisioner "windows-restart" {}

  # Smoke check: the image is refused unless carisbatch runs.
  provisioner "powershell" {
    inline = [
      "$ErrorActionPreference = 'Stop'",
      "carisbatch --version",
      "if ($LASTEXITCODE -ne 0) { throw \"carisbatch --version exited with $LASTEXITCODE\" }",
    ]
  }

  # Generalise, so every instance gets a fresh identity and runs its user data.
  provisioner "powershell" {
    inline = [
      "& \"$env:ProgramFiles\\Amazon\\EC2Launch\\ec2launch.exe\" reset --block",
    ]
  }
}
