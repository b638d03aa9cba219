#include <stdio.h>
int main(void)
{
	puts("husk: under construction");
	return 1;
}
