# TFLint configuration for cdwizard's Terraform: the static modules under terraform/modules/ and
# the root module `cdwizard render` writes into <workspace>/terraform/.
#
#   tflint --init --config "$PWD/.tflint.hcl"
#   tflint --recursive --config "$PWD/.tflint.hcl" --chdir terraform/modules
#   tflint --config "$PWD/.tflint.hcl" --chdir <workspace>/terraform
#
# Needs TFLint >= 0.54 (call_module_type) and downloads the AWS ruleset on `--init`.

config {
  # Follow module calls into ./modules so variables passed from the root are checked too.
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

plugin "aws" {
  enabled = true
  version = "0.44.0"
  source  = "github.com/terraform-linters/tflint-ruleset-aws"

  # deep_check calls AWS APIs (e.g. to verify AMIs and instance profiles exist); keep linting offline.
  deep_check = false
}

# Everything a module exposes is typed and described.
rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_typed_variables" {
  enabled = true
}

rule "terraform_naming_convention" {
  enabled = true
  format  = "snake_case"
}

# Each module keeps main.tf, variables.tf, outputs.tf (and versions.tf).
rule "terraform_standard_module_structure" {
  enabled = true
}

rule "terraform_unused_declarations" {
  enabled = true
}

rule "terraform_required_version" {
  enabled = true
}

rule "terraform_required_providers" {
  enabled = true
}
