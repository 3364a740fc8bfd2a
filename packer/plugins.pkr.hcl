# The Amazon plugin, for `packer init` with packer 1.7 and later. Kept apart from the template
# because Debian's packer 1.6.6 (scripts/check-infra validates with it) bundles the amazon-ebs
# builder and rejects `required_plugins`.
packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
  }
}
