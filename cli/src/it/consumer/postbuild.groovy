// The invoker runs this after the consumer's own build (which is exactly the README's quick
// start: pom.xml, module-info.java, HelloDaemon.java). check.sh starts the daemon with the
// README's command, checks it with the daemonkit CLI installed next to the library, and stops it.
def cli = new File(localRepositoryPath, "dev/daemonkit/daemonkit-cli/${daemonkitVersion}/daemonkit-cli-${daemonkitVersion}.jar")
def pb = new ProcessBuilder("bash", new File(basedir, "check.sh").path, cli.path)
        .directory(basedir).redirectErrorStream(true)
pb.environment().put("JAVA_HOME", System.getProperty("java.home"))
def p = pb.start()
p.inputStream.eachLine { println it }
def status = p.waitFor()
if (status != 0) {
    throw new RuntimeException("check.sh exited with status " + status)
}
return true
