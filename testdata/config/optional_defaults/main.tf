variable "settings" {
  type = object({
    name    = string
    size    = optional(number)
    zone    = optional(string, "a")
    enabled = optional(bool, true)
    neg     = optional(number, -1.5)
    list    = optional(list(string), ["x", "y"])
    nested = optional(object({
      deep = optional(map(string), { k = "v" })
    }), {})
    nothing = optional(string, null)
  })
  default = {
    name = "n"
  }
}

variable "reference_default" {
  type = object({ a = optional(string, var.other) })
}

variable "three_arguments" {
  type = object({ b = optional(string, "x", "y") })
}

variable "call_in_default" {
  type = list(object({ c = optional(list(string), [upper("x")]) }))
}
