variable "region" {
  default = "eu-west-1"
}

variable "sizes" {
  type    = map(number)
  default = { small = 1, large = 4 }
}

variable "secret" {
  default   = "hunter2"
  sensitive = true
}

variable "required" {
  type = string
}

locals {
  name    = "app-${var.region}"
  total   = sum(values(var.sizes))
  web_ids = terraform_data.web[*].output
  by_key  = { for k, v in terraform_data.each : k => v.output }
}

resource "terraform_data" "web" {
  count = 2
  input = "web-${count.index}"
}

resource "terraform_data" "db" {
  input = {
    name = local.name
    size = var.sizes["large"]
  }
}

resource "terraform_data" "each" {
  for_each = toset(["a", "b"])
  input    = upper(each.key)
}

resource "terraform_data" "pending" {
  input = terraform_data.db.output
}
