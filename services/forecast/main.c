/* forecast service entry point: placeholder until the service kit (libs/core) lands. */
int main(void)
{
    return 0;
}
