# frozen_string_literal: true

# cdwizard's own launcher for the CodeDeploy agent's `codedeploy-local` code, used only by the
# comparison tests and the rehearse benchmark. It loads the agent's lib/ from an unpacked
# aws/aws-codedeploy-agent tree (CDWIZARD_AGENT_DIR) without the agent's gem launcher, docopt
# or gli, then either:
#
#   ruby launch.rb appspec < texts.json    parse each appspec text with the agent's parser;
#                                           prints [{"valid":true} | {"error":CLASS,"message":M}]
#   ruby launch.rb deploy OPTIONS_JSON      codedeploy-local deployments (one options object or a
#                                           list, run in turn); prints each one's console lines,
#                                           then "RESULT <json>" (outcome, message, seconds)
#
# OPTIONS_JSON keys are codedeploy-local's long options without dashes (bundle-location, type,
# deployment-group, deployment-group-name, application-name, events, file-exists-behavior,
# agent-configuration-file).

agent = ENV.fetch('CDWIZARD_AGENT_DIR')
# the vendored gems (process_manager, simple_pid) after lib/, as the agent's launcher orders them
Dir.glob(File.join(agent, 'vendor', 'gems', '*', 'lib')).each { |dir| $LOAD_PATH.unshift(dir) }
$LOAD_PATH.unshift(File.join(agent, 'lib'))
$stderr.reopen(File::NULL) if ENV['CDWIZARD_AGENT_QUIET'] # minitar's deprecation warning

require 'json'
require 'yaml'
require 'aws/codedeploy/local/deployer'
# What the agent daemon loads: without it codedeploy-local has no AclInfo/ContextInfo and any
# `acls:` or `context:` crashes with a NameError, which a real instance never shows.
require 'instance_agent/plugins/codedeploy/register_plugin'

APPSPEC = InstanceAgent::Plugins::CodeDeployPlugin::ApplicationSpecification::ApplicationSpecification

def check_appspecs
  InstanceAgent::Platform.util = InstanceAgent::LinuxUtil
  texts = JSON.parse($stdin.read)
  results = texts.map do |text|
    APPSPEC.parse(text)
    { 'valid' => true }
  rescue Exception => e # rubocop:disable Lint/RescueException -- the parser raises Exception subclasses
    failure('error', e).except('outcome')
  end
  puts JSON.generate(results)
end

def deploy(options)
  args = {
    '--bundle-location' => options['bundle-location'],
    '--type' => options.fetch('type', 'directory'),
    '--file-exists-behavior' => options.fetch('file-exists-behavior', 'DISALLOW'),
    '--deployment-group' => options.fetch('deployment-group', 'default-local-deployment-group'),
    '--deployment-group-name' => options['deployment-group-name'],
    '--application-name' => options['application-name'],
    '--events' => options['events'],
    '--agent-configuration-file' => options['agent-configuration-file'],
    '--appspec-filename' => options['appspec-filename']
  }
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  result = { 'outcome' => 'succeeded' }
  begin
    AWS::CodeDeploy::Local::Deployer.new(args['--agent-configuration-file']).execute_events(args)
    puts 'AppSpec file valid. Local deployment successful'
  rescue AWS::CodeDeploy::Local::CLIValidator::ValidationError, SystemCallError, ArgumentError => e
    puts "ERROR: #{e.message}"
    result = failure('error', e)
  rescue InstanceAgent::Plugins::CodeDeployPlugin::ScriptError => e
    result = failure('script_error', e).merge('code' => e.error_code)
  rescue Exception => e # rubocop:disable Lint/RescueException -- codedeploy-local crashes here
    result = failure('crashed', e)
  end
  result['seconds'] = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  $stdout.flush
  puts "RESULT #{JSON.generate(result)}"
end

def failure(outcome, error)
  { 'outcome' => outcome, 'error' => error.class.name.split('::').last,
    'message' => error.message.lines.first.to_s.chomp }
end

case ARGV[0]
when 'appspec' then check_appspecs
when 'deploy' then [JSON.parse(ARGV[1])].flatten.each { |options| deploy(options) }
else abort "usage: #{$PROGRAM_NAME} appspec|deploy OPTIONS_JSON"
end
