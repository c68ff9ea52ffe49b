module github.com/antomgw/antomgw

go 1.26
