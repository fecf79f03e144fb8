# Every kind of argument the `configuration` object of a JSON plan describes: constants,
# references of each kind, function calls, count/for_each, depends_on, outputs, variables and
# module calls. terraform and cairn must describe it identically.

variable "x" {
  type        = string
  default     = "hello"
  description = "an x"
}
variable "n" {
  type    = number
  default = "3"
}
variable "secret" {
  type      = string
  sensitive = true
  default   = "shh"
}
variable "obj" {
  default = { a = 1, b = [true] }
}
variable "l" {
  default = [1]
}
variable "nothing" {
  default = null
}
variable "required" {
  type    = string
  default = "r"
}

locals {
  l = "${var.x}-l"
}

resource "terraform_data" "a" {
  input            = var.x
  triggers_replace = [1, "two"]
}

resource "terraform_data" "b" {
  count      = 2
  input      = "${terraform_data.a.output}-${count.index}"
  depends_on = [terraform_data.a]
  lifecycle {
    create_before_destroy = true
  }
}

resource "terraform_data" "c" {
  for_each = toset(["p", "q"])
  input    = { k = each.key, l = local.l, s = var.secret, m = terraform_data.b[0].id }
}

resource "terraform_data" "d" {
  input = sensitive("lit")
}

resource "terraform_data" "e" {
  input            = upper("abc")
  triggers_replace = null
}

resource "terraform_data" "f" {
  for_each = { x = 1 }
  input    = each.value
}

resource "terraform_data" "g" {
  input = {
    dup     = "${var.obj.a}${var.obj.a}"
    splat   = terraform_data.b[*].id
    fsplat  = terraform_data.b.*.id
    mi      = module.n[0].out
    mk      = module.k["a"].out
    mall    = module.n
    idx     = var.l[0]
    fe      = terraform_data.f["x"].output
    p       = path.module
    w       = terraform.workspace
    forx    = [for v in var.l : v + 1]
    cond    = var.l == null ? 1 : 2
    dyn     = terraform_data.b[count.index].id
    heredoc = <<-EOT
      hi ${var.x}
    EOT
  }
  count = length(var.l)
}

resource "terraform_data" "h" {
  input            = 1 + 2
  triggers_replace = "a${1}"
}

resource "terraform_data" "i" {
  input            = [for v in [1, 2] : v * 2]
  triggers_replace = { a = -1, b = 1.5, c = true, d = <<-EOT
    text
  EOT
  }
}

module "m" {
  source = "./modules/child"
  name   = var.x
  n      = 3
}

module "n" {
  source = "./modules/child"
  count  = 2
  name   = "n${count.index}"
}

module "k" {
  source     = "./modules/child"
  for_each   = toset(["a"])
  name       = each.key
  depends_on = [terraform_data.b]
}

output "o" {
  value       = terraform_data.a.output
  description = "desc"
  depends_on  = [terraform_data.b]
}

output "s" {
  value     = var.secret
  sensitive = true
}

output "m" {
  value = module.m.out
}

output "c" {
  value = 42
}
