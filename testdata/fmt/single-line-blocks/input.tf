x "y" { a = 1 }
z    {    }
w   "q"   {b=2}
variable "v" { type = "string" }
