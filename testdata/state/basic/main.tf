variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}

resource "terraform_data" "a" {
  input = "hello"
}

resource "terraform_data" "b" {
  count            = 2
  input            = { n = count.index, s = sensitive("x${count.index}"), l = [1, sensitive(2)] }
  triggers_replace = [terraform_data.a.output]
  depends_on       = [terraform_data.a]
}

resource "terraform_data" "c" {
  for_each = toset(["k1", "k 2"])
  input    = var.secret
  lifecycle {
    create_before_destroy = true
  }
}

resource "terraform_data" "z" {
  input = { m = tomap({ a = sensitive("1"), b = "2" }) }
}

module "m" {
  source = "./mod"
}

data "terraform_remote_state" "x" {
  backend = "local"
  config = { path = "other.tfstate" }
  defaults = { q = 1 }
}

output "plain" {
  value = terraform_data.a.output
}
output "secret" {
  value     = var.secret
  sensitive = true
}
output "obj" {
  value = { a = 1, b = [true, null], c = "s" }
}
output "num" {
  value = 1.5
}
