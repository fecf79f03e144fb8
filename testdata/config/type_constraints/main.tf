variable "s" { type = string }
variable "n" { type = number }
variable "b" { type = bool }
variable "a" { type = any }
variable "l" { type = list(string) }
variable "st" { type = set(number) }
variable "m" { type = map(list(bool)) }
variable "t" { type = tuple([string, number, any]) }
variable "o" {
  type = object({
    name = string
    tags = map(string)
  })
}
variable "paren" { type = (list(string)) }

variable "bad_keyword" { type = strin }
variable "bare_list" { type = list }
variable "two_args" { type = map(string, number) }
variable "call" { type = lower(string) }
variable "optional_outside" { type = optional(string) }
variable "not_type" { type = 1 + 2 }
variable "tuple_not_list" { type = tuple(string) }
variable "quoted" { type = "string" }
variable "quoted_list" { type = "list" }
variable "quoted_map" { type = "map" }
