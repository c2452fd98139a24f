/* sf-client.c: sends one Script-Fu expression to GIMP's Script-Fu server and
 * prints the answer; exits 0 when it evaluated, 1 on an error, 2 when the
 * server cannot be reached.  The protocol: request 'G', length (2 bytes, big
 * endian), expression; answer 'G', error flag, length (2 bytes), text. */
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
  if (argc != 3) {
    fprintf (stderr, "usage: sf-client PORT EXPRESSION\n");
    return 2;
  }
  gsize len = strlen (argv[2]);
  if (len > 0xffff) {
    fprintf (stderr, "sf-client: the expression is longer than 65535 bytes\n");
    return 2;
  }
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) conn =
      g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) atoi (argv[1]), NULL, &error);
  if (conn == NULL) {
    fprintf (stderr, "sf-client: %s\n", error->message);
    return 2;
  }
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  guint8 head[4] = { 'G', (guint8) (len >> 8), (guint8) (len & 0xff) };
  if (!g_output_stream_write_all (out, head, 3, NULL, NULL, &error) ||
      !g_output_stream_write_all (out, argv[2], len, NULL, NULL, &error) ||
      !g_input_stream_read_all (in, head, 4, &len, NULL, &error) || len != 4 || head[0] != 'G') {
    fprintf (stderr, "sf-client: %s\n", error ? error->message : "bad answer header");
    return 2;
  }
  gsize n = ((gsize) head[2] << 8) | head[3];
  g_autofree char *text = g_malloc0 (n + 1);
  if (!g_input_stream_read_all (in, text, n, &len, NULL, &error) || len != n) {
    fprintf (stderr, "sf-client: %s\n", error ? error->message : "short answer");
    return 2;
  }
  printf ("%s\n", text);
  return head[1] ? 1 : 0;
}
