variable "envs" {
  type = map(object({
    size = number
    tags = optional(list(string), [])
  }))
  default = {
    dev  = { size = 1 }
    prod = { size = 3, tags = ["critical"] }
  }

  validation {
    condition     = alltrue([for e in var.envs : e.size > 0])
    error_message = "Sizes must be positive."
  }
}

variable "required" {
  type = string
}

locals {
  names = sort(keys(var.envs))
  total = sum([for e in values(var.envs) : e.size])
}

resource "terraform_data" "env" {
  for_each = var.envs
  input = {
    name = each.key
    size = each.value.size
    tags = each.value.tags
  }

  lifecycle {
    precondition {
      condition     = each.value.size < 10
      error_message = "Too big."
    }
  }
}

resource "terraform_data" "copies" {
  count = local.total
  input = "${var.required}-${count.index}"

  triggers_replace = [terraform_data.env["dev"].id]
}

resource "terraform_data" "last" {
  input = terraform_data.copies[*].output

  depends_on = [terraform_data.env]

  lifecycle {
    replace_triggered_by = [terraform_data.env]
  }
}

output "summary" {
  value = {
    names  = local.names
    copies = length(terraform_data.copies)
    first  = try(terraform_data.copies[0].output, null)
  }
}
