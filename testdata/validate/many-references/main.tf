variable "known" {
  default = 1
}

locals {
  sum = var.a + var.b + local.c + var.known
}

resource "terraform_data" "x" {
  input = [terraform_data.nope.id, data.terraform_data.none.id, upper(var.d)]

  depends_on = [terraform_data.gone]

  lifecycle {
    replace_triggered_by = [terraform_data.away]
  }
}

output "o" {
  value = "${var.e}-${local.f}"
}
